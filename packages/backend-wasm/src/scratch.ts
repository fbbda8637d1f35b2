/**
 * Working memory owned by a compiled loss and reused from call to call, so that a loop
 * over a million elements does not allocate (and the garbage collector does not run)
 * on every call. A buffer grows when a call needs more and is never shrunk until the
 * compiled loss is disposed. What `take` returns holds whatever the last call left
 * there: callers that accumulate clear it first (`takeZeroed`).
 *
 * Results handed back to the caller are never scratch: they are fresh arrays, so a
 * later call cannot overwrite them.
 */

/** Rounds a request up so that slowly growing shapes do not reallocate every call. */
function grownLength(needed: number): number {
  return Math.max(needed, 64) + (needed >>> 3);
}

export class Float64Scratch {
  #buffer = new Float64Array(0);

  take(length: number): Float64Array {
    if (this.#buffer.length < length) this.#buffer = new Float64Array(grownLength(length));
    return this.#buffer.subarray(0, length);
  }

  takeZeroed(length: number): Float64Array {
    const view = this.take(length);
    view.fill(0);
    return view;
  }

  release(): void {
    this.#buffer = new Float64Array(0);
  }
}

export class Float32Scratch {
  #buffer = new Float32Array(0);

  take(length: number): Float32Array {
    if (this.#buffer.length < length) this.#buffer = new Float32Array(grownLength(length));
    return this.#buffer.subarray(0, length);
  }

  release(): void {
    this.#buffer = new Float32Array(0);
  }
}

export class Int32Scratch {
  #buffer = new Int32Array(0);

  take(length: number): Int32Array {
    if (this.#buffer.length < length) this.#buffer = new Int32Array(grownLength(length));
    return this.#buffer.subarray(0, length);
  }

  release(): void {
    this.#buffer = new Int32Array(0);
  }
}
