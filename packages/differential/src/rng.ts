/**
 * A small seeded generator (mulberry32): the same seed gives the same cases on every
 * machine and Node version, which `Math.random` cannot promise.
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A seed for a child generator, so one part of a case can be redrawn without moving the others. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/** The seed of the i-th case of a run: independent of how many cases came before. */
export function caseSeed(runSeed: number, loss: string, index: number): number {
  let h = 2166136261 ^ runSeed;
  for (const ch of `${loss}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** A Picker (see case.ts) for the `index`-th case of `loss` in a run seeded `runSeed`. */
export function balancedPicker(runSeed: number, loss: string, index: number) {
  return <T>(key: string, domain: readonly T[]): T => {
    const n = domain.length;
    const round = Math.floor(index / n);
    const rng = new Rng(caseSeed(runSeed, `${loss}:${key}`, round));
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return domain[order[index % n]!]!;
  };
}
