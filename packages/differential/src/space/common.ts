/** Draws shared by the loss spaces: shapes, weights, broadcast shapes and float tensors. */
import { sizeOf, type Shape, type Tensor } from '@gluon-loss/spec';
import type { Rng } from '../rng.js';
import { fillValues, VALUE_CLASSES, type ValueClass } from '../values.js';

/** Cases stay small, except the 'long' ones (one long axis, at most 64K elements each). */
export const MAX_ELEMENTS = 65536;

export const RANKS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/**
 * The i-th case's rank and value class, cycled so that every pair comes round (8 ranks x
 * 7 classes in 56 consecutive cases), whatever the seed.
 */
export function stratum(index: number, ranks: readonly number[]): { rank: number; valueClass: ValueClass } {
  return {
    rank: ranks[index % ranks.length]!,
    valueClass: VALUE_CLASSES[Math.floor(index / ranks.length) % VALUE_CLASSES.length]!,
  };
}

/** A shape of `rank` axes: mostly 2-5, some size-1 axes, and now and then one long axis. */
export function drawShape(rng: Rng, rank: number, long: boolean): number[] {
  const shape = Array.from({ length: rank }, () =>
    rng.chance(0.2) ? 1 : rng.chance(0.75) ? rng.int(2, 5) : rng.int(6, 12),
  );
  while (sizeOf(shape) > 4096) shape[rng.int(0, rank - 1)] = Math.max(1, Math.floor(shape[rng.int(0, rank - 1)]! / 2));
  if (long) {
    const axis = rng.int(0, rank - 1);
    const rest = sizeOf(shape) / shape[axis]!;
    shape[axis] = Math.max(2, Math.floor(rng.uniform(0.3, 1) * (MAX_ELEMENTS / rest)));
  }
  return clampShape(shape);
}

/** Shrinks a shape until it has at most MAX_ELEMENTS (every axis at least 1). */
export function clampShape(shape: readonly number[]): number[] {
  const out = shape.map((d) => Math.max(1, Math.floor(d)));
  while (sizeOf(out) > MAX_ELEMENTS) {
    const i = out.indexOf(Math.max(...out));
    out[i] = Math.max(1, Math.floor(out[i]! / 2));
  }
  return out;
}

/** MXNet's scalar weight: none, 1, 0, negative, small, large. */
export function drawWeight(rng: Rng): number | null {
  return rng.pick([null, null, 1, 0, -2.5, 0.3, 1e3, 1e-20]);
}

export function weightClass(w: unknown): string {
  if (w === undefined) return 'default';
  if (w === null) return 'null';
  if (typeof w !== 'number') return 'other';
  if (w === 0) return 'zero';
  if (w < 0) return 'negative';
  if (w >= 1e3) return 'large';
  if (w <= 1e-3) return 'tiny';
  return 'ordinary';
}

export const WEIGHT_CLASSES = [
  'weight=null',
  'weight=zero',
  'weight=negative',
  'weight=large',
  'weight=tiny',
  'weight=ordinary',
];

/** A batch axis of a `rank`-axis tensor, negative half of the time. */
export function drawBatchAxis(rng: Rng, rank: number): number {
  const axis = rng.chance(0.6) ? 0 : rng.int(0, rank - 1);
  return rng.chance(0.3) ? axis - rank : axis;
}

/**
 * The shapes a sample_weight (or pos_weight) can take against a tensor of shape `target`:
 * - 'full': the target's shape; 'broadcast': some axes set to 1; 'trailing': leading axes
 *   dropped (numpy alignment from the right); 'scalar': (1,); 'expand': one more leading
 *   axis than the target (the weighted result grows, as MXNet's broadcast does).
 */
export const WEIGHT_SHAPES = ['none', 'full', 'broadcast', 'trailing', 'scalar', 'expand'] as const;
export type WeightShape = (typeof WEIGHT_SHAPES)[number];

export function weightShape(rng: Rng, kind: WeightShape, target: Shape): number[] | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'full':
      return [...target];
    case 'broadcast':
      return target.map((d) => (rng.chance(0.5) ? 1 : d));
    case 'trailing':
      return target.length > 1 ? target.slice(rng.int(1, target.length - 1)) : [...target];
    case 'scalar':
      return [1];
    case 'expand': {
      // The weighted loss grows by the new axis: keep it within the element budget.
      const lead = rng.int(2, 3);
      return target.length < 8 && lead * sizeOf(target) <= MAX_ELEMENTS
        ? [lead, ...target.map((d) => (rng.chance(0.5) ? 1 : d))]
        : [...target];
    }
  }
}

export function floats(
  rng: Rng,
  shape: Shape,
  cls: ValueClass,
  ordinary: (r: Rng) => number = (r) => r.normal() * 2,
): Tensor {
  return { data: fillValues(rng, sizeOf(shape), ordinary, cls), shape: [...shape] };
}

/** Which float inputs of a special-valued case get special values: the first always, others by chance. */
export function specialTargets(rng: Rng, names: readonly string[], cls: ValueClass): Set<string> {
  const out = new Set<string>();
  if (cls === 'ordinary') return out;
  names.forEach((n, i) => {
    if (i === 0 || rng.chance(0.5)) out.add(n);
  });
  return out;
}

export function classOf(targets: Set<string>, name: string, cls: ValueClass): ValueClass {
  return targets.has(name) ? cls : 'ordinary';
}
