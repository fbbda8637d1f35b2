/**
 * Value classes: what a float input holds besides ordinary numbers. A case of a special
 * class keeps ordinary values in most elements and puts values of its class in some of
 * them (at least one), so the special values meet ordinary arithmetic, as they do in
 * training.
 */
import type { Rng } from './rng.js';

export const VALUE_CLASSES = ['ordinary', 'large', 'tiny', 'zero', 'inf', 'nan', 'mixed'] as const;
export type ValueClass = (typeof VALUE_CLASSES)[number];

const F32_MAX = 3.4028234663852886e38;

/** One special value of a class (never an ordinary one). */
export function specialValue(rng: Rng, cls: Exclude<ValueClass, 'ordinary'>): number {
  const sign = rng.chance(0.5) ? -1 : 1;
  switch (cls) {
    case 'large':
      // 1e3 .. float32's max, log-uniform, and the max itself now and then.
      return sign * (rng.chance(0.1) ? F32_MAX : Math.min(F32_MAX, 10 ** rng.uniform(3, 38.5)));
    case 'tiny':
      // Subnormal (down to the smallest, 1.4e-45) and small normal float32 values.
      return sign * (rng.chance(0.1) ? 1.401298464324817e-45 : 10 ** rng.uniform(-45, -30));
    case 'zero':
      return sign > 0 ? 0 : -0;
    case 'inf':
      return sign * Infinity;
    case 'nan':
      return NaN;
    case 'mixed':
      return specialValue(rng, rng.pick(['large', 'tiny', 'zero', 'inf', 'nan'] as const));
  }
}

/**
 * Fills `n` float32 values from `ordinary`, then replaces about `fraction` of them (at
 * least one) by values of `cls`. `Math.fround` keeps every value a float32, as MXNet sees it.
 */
export function fillValues(
  rng: Rng,
  n: number,
  ordinary: (rng: Rng) => number,
  cls: ValueClass,
  fraction = 0.15,
): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ordinary(rng);
  if (cls === 'ordinary' || n === 0) return out;
  const count = Math.max(1, Math.round(n * fraction * rng.uniform(0.3, 1)));
  for (let k = 0; k < count; k++) out[rng.int(0, n - 1)] = Math.fround(specialValue(rng, cls));
  return out;
}
