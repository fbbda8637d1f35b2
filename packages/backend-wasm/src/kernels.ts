/**
 * The kernels' WebAssembly module and the memory a call works in.
 *
 * One module (kernels/*.c, embedded as base64) is compiled once per process; one
 * instance serves every compiled loss of a backend (calls are synchronous, so they never
 * overlap). A call lays its inputs, scratch and results out in the instance's linear
 * memory from `__heap_base` upwards (a bump allocator, reset per call), runs its kernels,
 * and copies its results out into fresh arrays. Memory grows as a call needs; a call that
 * would pass wasm32's 4 GiB is rejected with UnsupportedError before anything is copied
 * in; and when a call has left the memory above `RELEASE_ABOVE_BYTES` the instance is
 * dropped (a wasm memory cannot shrink), so the next call starts from a small one.
 */
import { BackendUnavailableError, UnsupportedError, type ResultBuffers } from '@gluon-loss/spec';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';
import type { WorkerPool } from './pool.js';

export const WASM_BACKEND_NAME = 'wasm-simd';
export const WASM_MT_BACKEND_NAME = 'wasm-simd-mt';

/** wasm32's address space. */
export const WASM32_MAX_BYTES = 4 * 1024 ** 3;
/** Memory kept between calls; an instance grown above this is released after its call. */
export const RELEASE_ABOVE_BYTES = 256 * 1024 ** 2;

const PAGE = 65536;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = globalThis.atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The threaded module (wasm-simd-mt), imported only when that variant starts: a literal
 * dynamic import, so a bundler (Vite, Rollup, esbuild with splitting) emits it as a chunk
 * of its own that a page fetches only then, and a bundle that uses wasm-simd alone loads
 * the single-threaded module alone (~170 KB of base64), not both.
 */
async function threadedModuleBase64(): Promise<string> {
  try {
    return (await import('./kernels-mt.generated.js')).KERNELS_MT_WASM_BASE64;
  } catch (e) {
    throw new BackendUnavailableError(
      WASM_MT_BACKEND_NAME,
      `its module (kernels-mt.generated.js) did not load: ${(e as Error).message}`,
      e,
    );
  }
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * A compiled module (once per process): the single-threaded one, or with `threaded` the
 * one that imports a shared memory. Rejects with BackendUnavailableError.
 */
export function kernelModule(threaded = false): Promise<WebAssembly.Module> {
  const name = threaded ? WASM_MT_BACKEND_NAME : WASM_BACKEND_NAME;
  let module = compiled.get(name);
  if (module === undefined) {
    module = (async () => {
      if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
        throw new BackendUnavailableError(name, 'this environment has no WebAssembly');
      }
      const bytes = decodeBase64(threaded ? await threadedModuleBase64() : KERNELS_WASM_BASE64);
      if (!WebAssembly.validate(bytes)) {
        throw new BackendUnavailableError(
          name,
          threaded ? 'this WebAssembly engine lacks SIMD128 or threads' : 'this WebAssembly engine lacks SIMD128',
        );
      }
      return WebAssembly.compile(bytes);
    })();
    compiled.set(name, module);
  }
  return module;
}

/** A kernel export: pointers and sizes are numbers, results go to memory. */
export type Kernel = (...args: number[]) => void;

export interface Instance {
  readonly memory: WebAssembly.Memory;
  /** Where a call's allocations start. */
  readonly heapBase: number;
  readonly exports: Readonly<Record<string, unknown>>;
  /** The workers sharing this instance's memory (the threaded variant only). */
  readonly pool?: WorkerPool;
}

/** `KernelCall.scanValues`'s bits (kernels/value-classes.c). */
export const NOT_ORDINARY = 1;
export const NOT_FINITE = 2;

/** One call's view of the heap: allocations, copies in, copies out. */
export class KernelCall {
  #top: number;
  /**
   * Inputs `scanValues` has read this call: their classes, and the address of the copy it
   * made until a `putF32` takes it (undefined after).
   */
  readonly #scanned = new Map<ArrayLike<number>, { at: number | undefined; readonly classes: number }>();

  /**
   * @param out the caller's result buffers (checked by the spec): a loss that copies a
   *   result out of wasm memory copies it straight into its buffer.
   */
  constructor(
    private readonly heap: KernelHeap,
    private readonly instance: Instance,
    private readonly loss: string,
    readonly out: ResultBuffers | undefined,
  ) {
    this.#top = instance.heapBase;
  }

  /** The worker pool on this call's memory, or undefined (single-threaded). */
  get pool(): WorkerPool | undefined {
    return this.instance.pool;
  }

  kernel(name: string): Kernel {
    const f = this.instance.exports[name];
    if (typeof f !== 'function') throw new Error(`backend-wasm: no kernel ${name}`);
    return f as Kernel;
  }

  /** Reserves `bytes` (16-byte aligned), growing the memory; returns the address. */
  alloc(bytes: number): number {
    const at = (this.#top + 15) & ~15;
    const end = at + bytes;
    if (end > WASM32_MAX_BYTES) {
      throw new UnsupportedError(
        WASM_BACKEND_NAME,
        this.loss,
        `the call needs more than wasm32's 4 GiB of memory (${Math.ceil(end / 1024 ** 2)} MiB)`,
      );
    }
    const memory = this.instance.memory;
    const have = memory.buffer.byteLength;
    if (end > have) {
      try {
        memory.grow(Math.ceil((end - have) / PAGE));
      } catch (e) {
        throw new UnsupportedError(
          WASM_BACKEND_NAME,
          this.loss,
          `the engine could not grow wasm memory to ${Math.ceil(end / 1024 ** 2)} MiB (${(e as Error).message})`,
        );
      }
    }
    this.#top = end;
    return at;
  }

  /** Fails up front, before any copy, when `bytes` more would not fit in wasm32. */
  reserveCheck(bytes: number): void {
    if (this.#top + bytes > WASM32_MAX_BYTES) {
      throw new UnsupportedError(
        WASM_BACKEND_NAME,
        this.loss,
        `the call needs more than wasm32's 4 GiB of memory (${Math.ceil((this.#top + bytes) / 1024 ** 2)} MiB)`,
      );
    }
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.instance.memory.buffer, at, length);
  }

  f64(at: number, length: number): Float64Array {
    return new Float64Array(this.instance.memory.buffer, at, length);
  }

  /** Copies int32 values in. */
  putI32(data: ArrayLike<number>): number {
    const at = this.alloc(data.length * 4);
    new Int32Array(this.instance.memory.buffer, at, data.length).set(data);
    return at;
  }

  /**
   * Copies values in as float32 (an Int32Array label is converted as MXNet reads it). An
   * array `scanValues` copied in already is not copied again: its first putF32 takes
   * that copy, a later one (the same array passed as two inputs) makes its own.
   */
  putF32(data: ArrayLike<number>): number {
    const scanned = this.#scanned.get(data);
    if (scanned?.at !== undefined) {
      const at = scanned.at;
      scanned.at = undefined;
      return at;
    }
    const at = this.alloc(data.length * 4);
    this.f32(at, data.length).set(data);
    return at;
  }

  /**
   * What `data` holds (kernels/value-classes.c): `NOT_ORDINARY` if a value is not ordinary
   * (the spec's ordinaryValues: NaN, ±Inf, a subnormal, a magnitude beyond 2^24),
   * `NOT_FINITE` if one is NaN or ±Inf. One SIMD pass over the copy the kernel will read:
   * `data` is copied in here once, for the putF32 that follows.
   */
  scanValues(data: Float32Array | Int32Array): number {
    const scanned = this.#scanned.get(data);
    if (scanned !== undefined) return scanned.classes;
    const at = this.putF32(data);
    const classes = (this.instance.exports.value_classes as (at: number, n: number) => number)(at, data.length);
    this.#scanned.set(data, { at, classes });
    return classes;
  }

  putF64(data: ArrayLike<number>): number {
    const at = this.alloc(data.length * 8);
    this.f64(at, data.length).set(data);
    return at;
  }

  /** Uninitialised float32 space (the kernel writes every element). */
  outF32(length: number): number {
    return this.alloc(length * 4);
  }

  zerosF64(length: number): number {
    const at = this.alloc(length * 8);
    this.f64(at, length).fill(0);
    return at;
  }

  zerosF32(length: number): number {
    const at = this.alloc(length * 4);
    this.f32(at, length).fill(0);
    return at;
  }

  /** A float32 result copied out: into `into` (the caller's buffer) when given, else a fresh array. */
  takeF32(at: number, length: number, into?: Float32Array): Float32Array {
    if (into === undefined) return this.f32(at, length).slice();
    into.set(this.f32(at, length));
    return into;
  }

  takeF64(at: number, length: number): Float64Array {
    return this.f64(at, length).slice();
  }

  end(): void {
    this.heap.endCall(this.instance);
  }
}

/** The instance every compiled loss of one backend shares. */
export class KernelHeap {
  #instance: Instance | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(protected readonly module: WebAssembly.Module) {}

  /** Whether calls await workers (and so must be run one at a time with `exclusive`). */
  get threaded(): boolean {
    return false;
  }

  begin(loss: string, out?: ResultBuffers): KernelCall {
    this.#instance ??= this.createInstance();
    return new KernelCall(this, this.#instance, loss, out);
  }

  /**
   * Runs `task` after every call queued before it: a threaded call awaits its workers,
   * and another call on the same memory must not start meanwhile.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Tasks each worker of the current instance's pool has run (empty without a pool). */
  poolTasks(): readonly number[] {
    return this.#instance?.pool?.tasksRun ?? [];
  }

  /** Current size of the instance's memory in bytes (0 when released). */
  get memoryBytes(): number {
    return this.#instance?.memory.buffer.byteLength ?? 0;
  }

  endCall(instance: Instance): void {
    if (this.#instance === instance && instance.memory.buffer.byteLength > RELEASE_ABOVE_BYTES) {
      this.#instance = undefined;
      this.dropInstance(instance);
    }
  }

  release(): void {
    if (this.#instance !== undefined) this.dropInstance(this.#instance);
    this.#instance = undefined;
  }

  protected createInstance(): Instance {
    const instance = new WebAssembly.Instance(this.module, {});
    const exports = instance.exports as Record<string, unknown>;
    const memory = exports.memory as WebAssembly.Memory;
    return { memory, heapBase: heapBaseOf(exports), exports };
  }

  /** Frees what an instance holds beyond its memory (the threaded heap's workers). */
  protected dropInstance(instance: Instance): void {
    void instance;
  }
}

export function heapBaseOf(exports: Readonly<Record<string, unknown>>): number {
  return (exports.__heap_base as WebAssembly.Global).value as number;
}
