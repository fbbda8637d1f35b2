/**
 * log_softmax along one axis of a row-major tensor, viewed as `outer x classes x inner`
 * (the axis in the middle, stride `inner`), and its backward. Stable: the maximum is
 * subtracted before exp, and sums are float64. The result is stored in float32 as
 * MXNet's log_softmax output is (its gradient is then computed from that output), and
 * the backward's `exp(logp) * sum` is rounded to float32 before the difference, as
 * MXNet's kernel computes it (a cancellation of large gradients leaves what MXNet's does).
 */
import { addFloat32 } from './mxnet-ops.js';

export function logSoftmax(x: Float32Array, outer: number, classes: number, inner: number, out: Float32Array): void {
  const stride = inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      let max = -Infinity;
      for (let c = 0, k = base; c < classes; c++, k += stride) if (x[k]! > max) max = x[k]!;
      let sum = 0;
      for (let c = 0, k = base; c < classes; c++, k += stride) sum += Math.exp(x[k]! - max);
      const logSum = Math.log(sum);
      for (let c = 0, k = base; c < classes; c++, k += stride) out[k] = x[k]! - max - logSum;
    }
  }
}

/** `dx = dlogp - softmax * sum(dlogp)` along the axis, with softmax = exp(logp). */
export function logSoftmaxBackward(
  logp: Float32Array,
  gradLogp: Float64Array,
  outer: number,
  classes: number,
  inner: number,
  out: Float32Array,
): void {
  const stride = inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      let sum = 0;
      for (let c = 0, k = base; c < classes; c++, k += stride) sum = addFloat32(sum, gradLogp[k]!);
      const sum32 = Math.fround(sum);
      for (let c = 0, k = base; c < classes; c++, k += stride) {
        out[k] = gradLogp[k]! - Math.fround(Math.fround(Math.exp(logp[k]!)) * sum32);
      }
    }
  }
}

/** outer / classes / inner of `shape` around `axis`. */
export function axisLayout(shape: readonly number[], axis: number): { outer: number; classes: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { outer, classes: shape[axis]!, inner };
}
