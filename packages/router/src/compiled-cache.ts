/**
 * A routed loss's compiled state: one compiled loss per backend for its config, compiled
 * on first need, kept in a bounded LRU (by count and by the bytes a compiled loss says
 * it holds, `residentBytes`, which ONNX's reports for its sessions). A compiled loss in
 * use by a call in flight is pinned and never evicted; an evicted one is disposed and
 * compiled again on its next use (a route remembers its backend, not the compiled
 * loss). `release` frees one at once: the losers of a calibration, a backend that
 * faulted and that no other route uses.
 */
import { LruCache, type CompiledLoss, type LruLimits } from '@gluon-loss/spec';

export type CompiledCacheLimits = LruLimits;

/** Defaults: room for every backend of a router; 512 MiB of what they report holding. */
export const DEFAULT_COMPILED_LIMITS: CompiledCacheLimits = Object.freeze({ maxEntries: 8, maxBytes: 512 * 2 ** 20 });

interface Entry {
  readonly pending: Promise<CompiledLoss>;
  /** Set once `pending` resolves, so a call can start without an await. */
  compiled?: CompiledLoss;
}

/** What a compiled loss holds, if it says (ONNX: its sessions' model bytes). */
function residentBytes(compiled: CompiledLoss): number {
  const bytes = (compiled as { residentBytes?: unknown }).residentBytes;
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : 0;
}

function disposeWhenReady(entry: Entry): void {
  entry.pending.then(
    (c) => c.dispose(),
    () => undefined, // a failed compile holds nothing
  );
}

export class CompiledCache {
  readonly #lru: LruCache<string, Entry>;

  constructor(limits: CompiledCacheLimits = DEFAULT_COMPILED_LIMITS) {
    this.#lru = new LruCache(limits, (_backend, entry) => disposeWhenReady(entry));
  }

  /** The compiled loss of `backend` if it is ready now (no await), marked recently used. */
  ready(backend: string): CompiledLoss | undefined {
    return this.#lru.get(backend)?.compiled;
  }

  /** The pending or ready compiled loss, or undefined when none is held. */
  pending(backend: string): Promise<CompiledLoss> | undefined {
    return this.#lru.get(backend)?.pending;
  }

  /** Holds a compile in progress; a failed one is forgotten (the next need compiles again). */
  add(backend: string, pending: Promise<CompiledLoss>): void {
    const entry: Entry = { pending };
    this.#lru.set(backend, entry);
    pending.then(
      (compiled) => {
        entry.compiled = compiled;
        if (this.#lru.get(backend) === entry) this.#lru.resize(backend, residentBytes(compiled));
      },
      () => {
        if (this.#lru.get(backend) === entry) this.#lru.delete(backend);
      },
    );
  }

  /** Keeps `backend`'s compiled loss while a call uses it. */
  pin(backend: string): void {
    this.#lru.pin(backend);
  }

  /** The call is done: the bytes it grew (new sessions) count now, and it may be evicted. */
  unpin(backend: string): void {
    const compiled = this.#lru.get(backend)?.compiled;
    if (compiled !== undefined) this.#lru.resize(backend, residentBytes(compiled));
    this.#lru.unpin(backend);
  }

  /** Frees `backend`'s compiled loss now (its promise's, once it settles). */
  release(backend: string): void {
    const entry = this.#lru.delete(backend);
    if (entry !== undefined) disposeWhenReady(entry);
  }

  backends(): string[] {
    return this.#lru.keys();
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.bytes;
  }

  clear(): void {
    this.#lru.clear();
  }
}
