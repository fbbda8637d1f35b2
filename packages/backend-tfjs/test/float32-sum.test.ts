/**
 * `float32Sum` (src/ops/float32-sum.ts) on tfjs-cpu and tfjs-wasm, against sums whose
 * float32 value is known exactly: mshadow's Kahan-compensated float32 sum is accurate to
 * about one rounding over any length, and ±Inf for good once a partial sum overflows.
 * tfjs-wasm's own Sum adds float32 one after another, so its rounding errors add up: the
 * sum of 12,345 equal terms came out 12 ulps high in blocks of 128 (golden
 * KLDivLoss/diff-1-119-wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { float32Sum } from '../src/ops/float32-sum.js';
import { activate, exclusive, initialiseVariant, type TfjsVariant } from '../src/runtime.js';

/** Runs `fn` on the variant's tfjs backend and returns the tensor's values. */
async function on(variant: TfjsVariant, fn: () => tf.Tensor): Promise<number[]> {
  const availability = await initialiseVariant(variant, {});
  if (!availability.available) throw new Error(`tfjs-${variant} must be available in Node`);
  return exclusive(async () => {
    await activate(variant);
    const out = tf.tidy(fn);
    try {
      return Array.from(out.dataSync());
    } finally {
      out.dispose();
    }
  });
}

/** The float32 spacing at `value`. */
function ulp(value: number): number {
  const exponent = Math.floor(Math.log2(Math.abs(value)));
  return 2 ** Math.max(exponent - 23, -149);
}

/** `rows` zero-padded to `length` elements each (zeros change no sum): longer than a block, as tfjs-wasm splits. */
function padded(rows: number[][], length = 200): tf.Tensor2D {
  return tf.tensor2d(rows.map((row) => [...row, ...new Array<number>(length - row.length).fill(0)]));
}

/** The float64 sum of float32 values (exact here: few enough terms of few enough digits). */
function exactSum(values: Float32Array): number {
  return values.reduce((s, v) => s + v, 0);
}

describe.each<TfjsVariant>(['cpu', 'wasm'])('float32Sum on tfjs-%s', (variant) => {
  it('sums 12,345 equal terms to within one ulp of the exact sum (tfjs-wasm blocked: 12 ulps)', async () => {
    const term = Math.fround(-1.4834398 * -0.99252);
    const values = new Float32Array(12_345).fill(term);
    const [sum] = await on(variant, () => float32Sum(tf.tensor2d(values, [1, values.length]), [1]));
    const exact = exactSum(values);
    expect(Math.abs(sum! - exact)).toBeLessThanOrEqual(ulp(exact));
  });

  it('sums each row of mixed magnitudes and signs to within one ulp, over a non-last axis', async () => {
    // Three rows of 5,000 terms spread over seven binades, cancelling in the middle row.
    const length = 5_000;
    const values = new Float32Array(3 * length);
    for (let i = 0; i < length; i++) {
      const term = Math.fround((1 + ((i * 7919) % 1000) / 1000) * 2 ** ((i % 7) - 3));
      values[i] = term;
      values[length + i] = i % 2 === 0 ? term : -Math.fround(term * 1.0001);
      values[2 * length + i] = Math.fround(term * 1e-30);
    }
    const sums = await on(variant, () => float32Sum(tf.transpose(tf.tensor2d(values, [3, length])), [0]));
    for (let row = 0; row < 3; row++) {
      const exact = exactSum(values.subarray(row * length, (row + 1) * length));
      expect(Math.abs(sums[row]! - exact)).toBeLessThanOrEqual(ulp(exact));
    }
  });

  it('keeps digits next to values near float32 max, and sums subnormals exactly', async () => {
    const sums = await on(variant, () =>
      float32Sum(
        padded([
          [3e38, -3e38, 1, 0.5, -0.25, 0],
          [1e-40, 2e-40, 1.4e-45, -3e-41, 1e-45, 1e-39],
        ]),
        [1],
      ),
    );
    expect(sums[0]).toBe(1.25);
    const subnormals = Float32Array.of(1e-40, 2e-40, 1.4e-45, -3e-41, 1e-45, 1e-39);
    expect(sums[1]).toBe(Math.fround(exactSum(subnormals)));
  });

  it('is Inf for good once a running partial sum overflows, and NaN where Inf meets -Inf or a NaN is summed', async () => {
    const sums = await on(variant, () =>
      float32Sum(
        padded([
          [3e38, 3e38, -3e38, -3e38],
          [-3e38, -3e38, 3e38, 1],
          [1, Infinity, 2, 3],
          [Infinity, 1, -Infinity, 0],
          [1, 2, NaN, 3],
        ]),
        [1],
      ),
    );
    expect(sums).toEqual([Infinity, -Infinity, Infinity, NaN, NaN]);
  });
});

describe("MXNet's float32 sums inside losses", () => {
  // SigmoidBCE's scalar pos_weight over 53,000 elements (nightly seed 202612021, case 95):
  // its gradient is the sum of one equal float32 term per element, which tfjs-wasm's own
  // broadcast gradient (a plain float32 sum) got 1.2e-4 wrong.
  it.each(['cpu', 'wasm'] as const)('sums as MXNet on tfjs-%s: pos_weight over 53,000 equal terms', async (variant) => {
    const { createTfjsBackend } = await import('../src/index.js');
    const n = 53_000;
    const loss = await createTfjsBackend(variant).compile('SigmoidBinaryCrossEntropyLoss', { weight: 1000 });
    const out = await loss.forwardBackward(
      {
        pred: { data: new Float32Array(n), shape: [1, n] },
        label: { data: new Float32Array(n).fill(1), shape: [1, n] },
        pos_weight: { data: new Float32Array([1]), shape: [1] },
      },
      { data: new Float32Array([1]), shape: [1] },
    );
    // Each element: d(loss)/d(pos_weight) = G * z * softrelu(0), G = fround(fround(1 / n) * 1000).
    const term = Math.fround(Math.fround(Math.fround(1 / n) * 1000) * Math.fround(Math.log(2)));
    const exact = term * n;
    const got = out.grads.pos_weight!.data[0]!;
    expect(Math.abs(got - exact)).toBeLessThanOrEqual(2 * ulp(exact));
  });

  // TripletLoss sums its float32 gaps over every axis but the batch axis; tfjs-wasm's own Sum
  // of 8,432 gaps was 1.8 off MXNet's 10250.56 (nightly seed 202612022, case 300).
  it.each(['cpu', 'wasm'] as const)('sums as MXNet on tfjs-%s: TripletLoss over 8,432 gaps', async (variant) => {
    const { createTfjsBackend } = await import('../src/index.js');
    const n = 8432;
    let seed = 7;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
    const positive = Float32Array.from({ length: n }, next);
    const negative = Float32Array.from({ length: n }, () => next() * 0.5);
    const loss = await createTfjsBackend(variant).compile('TripletLoss', { margin: 0 });
    const out = await loss.forward({
      pred: { data: new Float32Array(n), shape: [1, n] },
      positive: { data: positive, shape: [1, n] },
      negative: { data: negative, shape: [1, n] },
    });
    let exact = 0;
    for (let i = 0; i < n; i++) {
      exact += Math.fround(Math.fround(positive[i]! * positive[i]!) - Math.fround(negative[i]! * negative[i]!));
    }
    expect(Math.abs(out.loss.data[0]! - exact)).toBeLessThanOrEqual(2 * ulp(exact));
  });
});
