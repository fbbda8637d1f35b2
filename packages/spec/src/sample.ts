/**
 * Valid inputs for a loss, drawn from a seeded generator: each loss's spec file states
 * what its inputs look like (`LossSpec.sampleInputs`), with the helpers here, so the
 * router's choices, the bench and the tests all draw them the same way. The values only
 * need to be valid for the default config and the same on every run, not random.
 */
import { sizeOf, type FloatTensor, type Shape } from './tensor.js';

/** Uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32, seeded by a number or by a text (its FNV-1a hash, so that a case's name
 * can be its seed): small and fast; its quality is ample for sample data.
 */
export function seededRng(seed: number | string): Rng {
  let a = (typeof seed === 'number' ? seed : fnv1a(seed)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The size of a sample: about this many elements in the loss's main input (the loss
 * picks the shape), or that input's exact shape (what the bench's grid names).
 */
export type SampleSize = number | Shape;

/**
 * A 2-D shape of about `size` elements: columns the power of two at or above its square
 * root, so 1K, 64K and 1M elements give 32x32, 256x256 and 1024x1024. A shape is kept.
 */
export function sampleMatrix(size: SampleSize): [number, number] {
  if (typeof size !== 'number') return [size[0] ?? 1, sizeOf(size.slice(1))];
  const columns = 2 ** Math.ceil(Math.log2(Math.sqrt(Math.max(size, 1))));
  return [Math.max(1, Math.round(size / columns)), columns];
}

/** The shape of an input of any rank: the one given, or `sampleMatrix`'s. */
export function sampleShape(size: SampleSize): Shape {
  return typeof size === 'number' ? sampleMatrix(size) : [...size];
}

function filled(shape: Shape, value: () => number): FloatTensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = value();
  return { data, shape: [...shape] };
}

/** Tensors of the kinds of values the losses take. */
export const draw = {
  /** N(0, 1), by Box-Muller: predictions, regression targets, embeddings. */
  normal(shape: Shape, rng: Rng): FloatTensor {
    const t = filled(shape, () => 0);
    const out = t.data;
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - rng()));
      const theta = 2 * Math.PI * rng();
      out[i] = r * Math.cos(theta);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
    }
    return t;
  },
  /** Uniform in [low, high): data whose values only need to be spread out (bit-identity tests). */
  uniform: (shape: Shape, rng: Rng, low: number, high: number): FloatTensor =>
    filled(shape, () => low + rng() * (high - low)),
  /** -1 or 1: hinge, logistic (signed) and cosine labels. */
  sign: (shape: Shape, rng: Rng): FloatTensor => filled(shape, () => (rng() < 0.5 ? -1 : 1)),
  /** 0 or 1: binary cross-entropy labels. */
  binary: (shape: Shape, rng: Rng): FloatTensor => filled(shape, () => (rng() < 0.5 ? 0 : 1)),
  /** Integers in [0, count), as float32 (as MXNet takes labels): class indices, counts. */
  integers: (shape: Shape, rng: Rng, count: number): FloatTensor => filled(shape, () => Math.floor(rng() * count)),
  /** A probability distribution along the last axis, or its log. */
  distribution(shape: Shape, rng: Rng, log = false): FloatTensor {
    const t = filled(shape, () => 0.05 + rng());
    const out = t.data;
    const last = shape[shape.length - 1]!;
    for (let row = 0; row < out.length; row += last) {
      let sum = 0;
      for (let j = 0; j < last; j++) sum += out[row + j]!;
      for (let j = 0; j < last; j++) {
        const p = out[row + j]! / sum;
        out[row + j] = log ? Math.log(p) : p;
      }
    }
    return t;
  },
} as const;
