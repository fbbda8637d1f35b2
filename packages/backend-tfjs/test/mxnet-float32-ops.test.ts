/**
 * The element-wise ops the losses share (src/ops), on tfjs-cpu and tfjs-wasm, at the
 * values where tfjs's own kernels part from MXNet's float32 rules (docs/notes.md):
 * - relu keeps NaN of either sign (tfjs-wasm's Relu maps a NaN with its sign bit set, the
 *   one `Inf - Inf` makes, to 0) and its gradient is 0 at 0, NaN at NaN;
 * - abs's gradient is mshadow's sign, ±1 at subnormals (tfjs-wasm's Sign gives 0 there)
 *   and 0 at ±0 and NaN;
 * - softrelu(x) = log1p(exp(x)) keeps its digits where exp(x) is tiny (tfjs-wasm's Log1p is
 *   `log(1 + e)`, 1% off at x = -12);
 * - where's gradient is the head gradient on the taken branch and exactly 0 on the other,
 *   even for an infinite head gradient (tfjs's Select multiplies: Inf * 0 = NaN).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { absWithSignGradient } from '../src/ops/abs.js';
import { reluKeepingNaN } from '../src/ops/relu.js';
import { softreluOfNonPositive } from '../src/ops/softrelu.js';
import { whereSelectingGradient } from '../src/ops/where.js';
import { activate, exclusive, initialiseVariant, type TfjsVariant } from '../src/runtime.js';

/**
 * float32 values with a NaN whose sign bit is set where `NEGATIVE_NAN` is, the NaN x86 and
 * wasm float32 arithmetic make (`Inf - Inf`, `0 * Inf`). Written as bits: a JS number NaN
 * stored into a Float32Array becomes the positive one.
 */
const NEGATIVE_NAN = Symbol('NaN with the sign bit set');
function float32(values: Array<number | typeof NEGATIVE_NAN>): Float32Array {
  const out = new Float32Array(values.length);
  const bits = new Uint32Array(out.buffer);
  values.forEach((v, i) => {
    if (v === NEGATIVE_NAN) bits[i] = 0xffc00000;
    else out[i] = v;
  });
  return out;
}

/** Runs `fn` on the variant's tfjs backend and returns the tensors' values. */
async function on(variant: TfjsVariant, fn: () => tf.Tensor[]): Promise<number[][]> {
  const availability = await initialiseVariant(variant, {});
  if (!availability.available) throw new Error(`tfjs-${variant} must be available in Node`);
  return exclusive(async () => {
    await activate(variant);
    const outs = tf.tidy(fn);
    try {
      return outs.map((t) => Array.from(t.dataSync()));
    } finally {
      tf.dispose(outs);
    }
  });
}

describe.each<TfjsVariant>(['cpu', 'wasm'])('ops on tfjs-%s', (variant) => {
  it('relu keeps both NaNs, gives 0 at -Inf, and its gradient is 0 at 0 and NaN at NaN', async () => {
    const [value, grad] = await on(variant, () => {
      const x = tf.tensor1d(float32([NEGATIVE_NAN, NaN, -Infinity, -2, 0, 3, Infinity]));
      const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => reluKeepingNaN(t))([x], tf.onesLike(x));
      return [value, grads[0]!];
    });
    expect(value).toEqual([NaN, NaN, 0, 0, 0, 3, Infinity]);
    expect(grad).toEqual([NaN, NaN, 0, 0, 0, 1, 1]);
  });

  it("abs's gradient is sign: ±1 at subnormals, 0 at ±0 and at NaN", async () => {
    const [value, grad] = await on(variant, () => {
      const x = tf.tensor1d(float32([1e-40, -1e-40, 1e-45, -1e-45, 0, -0, NaN, NEGATIVE_NAN, -Infinity, 2]));
      const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => absWithSignGradient(t))([x], tf.onesLike(x));
      return [value, grads[0]!];
    });
    expect(value).toEqual([1e-40, 1e-40, 1e-45, 1e-45, 0, 0, NaN, NaN, Infinity, 2].map(Math.fround));
    expect(grad).toEqual([1, -1, 1, -1, 0, 0, 0, 0, -1, 1]);
  });

  it('where sends an infinite head gradient to the taken branch and 0 (not NaN) to the other', async () => {
    const [value, gradTrue, gradFalse] = await on(variant, () => {
      const condition = tf.tensor1d([true, false, true], 'bool');
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.tensor1d([-1, -2, -3]);
      const dy = tf.tensor1d([Infinity, -Infinity, 2]);
      const f = (x: tf.Tensor, y: tf.Tensor) => whereSelectingGradient(condition, x, y);
      const { value, grads } = tf.valueAndGrads(f)([a, b], dy);
      return [value, grads[0]!, grads[1]!];
    });
    expect(value).toEqual([1, -2, 3]);
    expect(gradTrue).toEqual([Infinity, 0, 2]);
    expect(gradFalse).toEqual([0, -Infinity, 0]);
  });
  it('softrelu of -12 to -14 keeps its digits (within 4 float32 ulps of float64 log1p(exp(x)))', async () => {
    const xs = [-11.945, -12.5, -13.25, -14, -0.5, 0, -Infinity, NaN];
    const [value = []] = await on(variant, () => [softreluOfNonPositive(tf.tensor1d(xs))]);
    xs.forEach((x, i) => {
      const want = Math.log1p(Math.exp(Math.fround(x)));
      if (Number.isNaN(want)) expect(value[i]).toBeNaN();
      else expect(Math.abs(value[i]! - want), `x = ${x}`).toBeLessThanOrEqual(4 * 1.2e-7 * want);
    });
  });
});
