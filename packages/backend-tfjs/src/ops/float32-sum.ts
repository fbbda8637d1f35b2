import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * Sums as MXNet's float32 sums end, and the broadcast whose gradient is one.
 *
 * mshadow's sum is Kahan-compensated float32: accurate over any length, and ±Inf for
 * good once a partial sum overflows (`[3e38, 3e38, -3e38]` sums to Inf). tfjs-cpu adds in
 * float64 (finite there), tfjs-wasm in plain float32 one element after another (39,150
 * equal terms come out 1.3e-4 high). So the value is a blocked sum (accurate), and a
 * float32 running sum over the reduced elements in row-major order (tfjs's cumsum rounds
 * every step to float32, on cpu and wasm) finds the sums that overflow and gives their Inf
 * (or NaN, when an Inf of the other sign follows).
 */

/**
 * tfjs-webgl and tfjs-webgpu take ordinary values only (spec rules/ordinary-values.ts:
 * their sums cannot overflow), reduce by trees, and a cumsum over 39,150 elements lost the
 * WebGPU device in headless Chromium: there the plain sum is MXNet's.
 */
function onGpu(): boolean {
  const backend = tf.getBackend();
  return backend === 'webgl' || backend === 'webgpu';
}

/** Block length of `blockedSum`: its error grows with about 2 x 128 additions, not n. */
const BLOCK = 128;

/**
 * The sum of `rows` (2-D) along its second axis in blocks of BLOCK elements, then over the
 * block sums, and so on. The zeros that pad the last block change no sum (Inf and NaN included).
 */
function blockedRowSum(rows: tf.Tensor): tf.Tensor {
  const count = rows.shape[0]!;
  while (rows.shape[1]! > BLOCK) {
    const length = rows.shape[1]!;
    const padded = tf.pad(rows, [
      [0, 0],
      [0, Math.ceil(length / BLOCK) * BLOCK - length],
    ]);
    rows = tf.sum(tf.reshape(padded, [count, -1, BLOCK]), 2);
  }
  return tf.sum(rows, 1, true);
}

/** `sum(x, axes)` as MXNet's float32 sum ends (see above). The gradient is the sum's: dy broadcast. */
export function float32Sum(x: tf.Tensor, axes: readonly number[], keepDims = false): tf.Tensor {
  if (onGpu()) return tf.sum(x, [...axes], keepDims);
  const shape = x.shape;
  const reduced = [...axes].sort((a, b) => a - b);
  const kept = shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const keptShape = kept.map((d) => shape[d]!);
  const expanded = shape.map((n, d) => (reduced.includes(d) ? 1 : n));
  return unaryCustomGrad((input) => {
    const order = [...kept, ...reduced];
    const moved = order.every((d, i) => d === i) ? input : tf.transpose(input, order);
    const length = reduced.reduce((n, d) => n * shape[d]!, 1);
    const rows = tf.reshape(moved, [keptShape.reduce((n, m) => n * m, 1), length]);
    const running = tf.slice(tf.cumsum(rows, 1), [0, length - 1], [-1, 1]);
    const value = tf.where(tf.isFinite(running), blockedRowSum(rows), running);
    return {
      value: tf.reshape(value, keepDims ? expanded : keptShape),
      gradFunc: (dy) => tf.broadcastTo(tf.reshape(dy, expanded), shape),
    };
  })(x);
}

/**
 * `x` broadcast to `shape` (numpy rules), its gradient summed back by `float32Sum`: the
 * gradient of MXNet's broadcasting operators is such a sum over the broadcast axes. Only
 * for an operand of an element-wise operator that would broadcast it anyway.
 */
export function broadcastTo(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (x.shape.length === shape.length && x.shape.every((n, d) => n === shape[d])) return x;
  // On a GPU variant the operand is left to the next operator's own broadcasting (the same
  // numpy rule), whose gradient is tfjs's sum: tfjs has no gradient of a rank-5 tile there.
  if (onGpu()) return x;
  const source = [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape];
  const axes = shape.map((_, d) => d).filter((d) => source[d] === 1 && shape[d] !== 1);
  return unaryCustomGrad((input) => ({
    value: tf.broadcastTo(input, [...shape]),
    gradFunc: (dy) => tf.reshape(float32Sum(dy, axes), input.shape),
  }))(x);
}
