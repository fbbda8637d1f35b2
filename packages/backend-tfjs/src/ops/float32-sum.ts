import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * `sum(x, axes)` as MXNet's float32 sum ends: mshadow's Kahan-compensated float32 sum
 * stays ±Inf once a partial sum overflows (`[3e38, 3e38, -3e38]` sums to Inf), where
 * tfjs-cpu adds in float64 and ends finite (and tfjs-wasm in plain float32, in its own
 * order). A float32 running sum over the reduced elements in row-major order (tfjs's
 * cumsum rounds every step to float32, on cpu and wasm) finds those sums and gives their
 * Inf (or NaN, when an Inf of the other sign follows); elsewhere tfjs's own sum is kept,
 * as close to the compensated one as tfjs gets. The gradient is the sum's: dy broadcast.
 */
export function float32Sum(x: tf.Tensor, axes: readonly number[], keepDims = false): tf.Tensor {
  const shape = x.shape;
  const reduced = [...axes].sort((a, b) => a - b);
  const kept = shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const keptShape = kept.map((d) => shape[d]!);
  const outShape = keepDims ? shape.map((n, d) => (reduced.includes(d) ? 1 : n)) : keptShape;
  const expanded = shape.map((n, d) => (reduced.includes(d) ? 1 : n));
  return unaryCustomGrad((input) => {
    const order = [...kept, ...reduced];
    const moved = order.every((d, i) => d === i) ? input : tf.transpose(input, order);
    const length = reduced.reduce((n, d) => n * shape[d]!, 1);
    const rows = tf.reshape(moved, [keptShape.reduce((n, m) => n * m, 1), length]);
    const running = tf.slice(tf.cumsum(rows, 1), [0, length - 1], [-1, 1]);
    const value = tf.where(tf.isFinite(running), tf.sum(rows, 1, true), running);
    return {
      value: tf.reshape(value, outShape),
      gradFunc: (dy) => tf.broadcastTo(tf.reshape(dy, expanded), shape),
    };
  })(x);
}
