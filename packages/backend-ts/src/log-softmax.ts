/**
 * log_softmax along one axis of a row-major tensor, viewed as `outer x classes x inner`
 * (the axis in the middle, stride `inner`), and its backward, on the path MXNet takes:
 *
 * - oneDNN (float32, the last axis of a rank 1-4 tensor: `usesOneDnnLogSoftmax`): the
 *   spec's bit-exact model of oneDNN's 16-lane kernel (rules/log-softmax-float32.ts), with
 *   its vectorised exp and log: a NaN in a row leaves the other entries finite, an Inf
 *   leaves the others -Inf, and the backward's exp(NaN) is +Inf.
 * - MXNet's own loop otherwise: stable (the maximum is subtracted before exp), sums in
 *   float64. The result is stored in float32 as MXNet's log_softmax output is (its
 *   gradient is then computed from that output), and the backward's `exp(logp) * sum` is
 *   rounded to float32 before the difference, as MXNet's kernel computes it (a
 *   cancellation of large gradients leaves what MXNet's does).
 */
import { oneDnnLogSoftmaxBackwardRow, oneDnnLogSoftmaxRow, usesOneDnnLogSoftmax } from '@gluon-loss/spec';
import { addFloat32 } from './mxnet-ops.js';

/** The `outer x classes x inner` view of a tensor around its softmax axis, and the path MXNet takes. */
export interface SoftmaxLayout {
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
  /** MXNet runs oneDNN's kernel (then `inner` is 1). */
  readonly oneDnn: boolean;
}

export function logSoftmax(x: Float32Array, layout: SoftmaxLayout, out: Float32Array): void {
  const { outer, classes, inner } = layout;
  if (layout.oneDnn) {
    for (let o = 0; o < outer; o++) oneDnnLogSoftmaxRow(x, o * classes, 1, classes, out);
    return;
  }
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

/**
 * `dx = dlogp - softmax * sum(dlogp)` along the axis, with softmax = exp(logp). On the
 * oneDNN path `gradLogp` is read as the float32 tensor MXNet hands the kernel.
 */
export function logSoftmaxBackward(
  logp: Float32Array,
  gradLogp: Float64Array | Float32Array,
  layout: SoftmaxLayout,
  out: Float32Array,
): void {
  const { outer, classes, inner } = layout;
  if (layout.oneDnn) {
    const grad = gradLogp instanceof Float32Array ? gradLogp : Float32Array.from(gradLogp);
    for (let o = 0; o < outer; o++) oneDnnLogSoftmaxBackwardRow(logp, grad, o * classes, 1, classes, out);
    return;
  }
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

/** The layout of log_softmax over `axis` (normalised) of a float32 tensor of `shape`. */
export function softmaxLayout(shape: readonly number[], axis: number): SoftmaxLayout {
  return { ...axisLayout(shape, axis), oneDnn: usesOneDnnLogSoftmax(shape.length, axis) };
}
