/**
 * A least-recently-used cache bounded by entry count and by bytes, for what backends and
 * the router keep between calls (ONNX sessions, compiled losses). An entry in use
 * (`pin`ned) is never evicted; the cache may then stand above its limits until it is
 * unpinned. `onEvict` releases what an evicted entry holds.
 */
export interface LruLimits {
  /** The most entries kept. */
  readonly maxEntries: number;
  /** The most bytes kept, as `sizeOf` reports them. */
  readonly maxBytes: number;
}

interface Slot<V> {
  value: V;
  bytes: number;
  pins: number;
}

export class LruCache<K, V> {
  readonly #slots = new Map<K, Slot<V>>();
  #bytes = 0;

  constructor(
    readonly limits: LruLimits,
    readonly onEvict: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.#slots.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.value;
  }

  has(key: K): boolean {
    return this.#slots.has(key);
  }

  /**
   * Adds (or replaces) an entry, then evicts the least recently used unpinned ones over
   * the limits. `pinned`: it is pinned before that eviction (so it cannot be the one evicted).
   */
  set(key: K, value: V, bytes = 0, pinned = false): void {
    const old = this.#slots.get(key);
    if (old !== undefined) {
      this.#slots.delete(key);
      this.#bytes -= old.bytes;
      if (old.value !== value) this.onEvict(key, old.value);
    }
    this.#slots.set(key, { value, bytes, pins: (old?.pins ?? 0) + (pinned ? 1 : 0) });
    this.#bytes += bytes;
    this.trim();
  }

  /** Corrects an entry's size once it is known (a session's size after it is created). */
  resize(key: K, bytes: number): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#bytes += bytes - slot.bytes;
    slot.bytes = bytes;
    this.trim();
  }

  /** Marks an entry in use: it is not evicted until as many `unpin`s. */
  pin(key: K): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined) slot.pins++;
  }

  unpin(key: K): void {
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.pins === 0) return;
    slot.pins--;
    if (slot.pins === 0) this.trim();
  }

  /** Removes an entry without calling `onEvict` (the caller releases it). */
  delete(key: K): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#slots.delete(key);
    this.#bytes -= slot.bytes;
    return slot.value;
  }

  /** Evicts unpinned entries, least recently used first, until within the limits. */
  trim(): void {
    for (const [key, slot] of this.#slots) {
      if (this.#slots.size <= this.limits.maxEntries && this.#bytes <= this.limits.maxBytes) return;
      if (slot.pins > 0) continue;
      this.#slots.delete(key);
      this.#bytes -= slot.bytes;
      this.onEvict(key, slot.value);
    }
  }

  /** Removes every entry, calling `onEvict` for each (pinned ones too: the owner is going away). */
  clear(): void {
    const all = [...this.#slots];
    this.#slots.clear();
    this.#bytes = 0;
    for (const [key, slot] of all) this.onEvict(key, slot.value);
  }

  keys(): K[] {
    return [...this.#slots.keys()];
  }
}
