/**
 * HingeLoss: `relu(margin - pred * label)`. The argument of relu is computed in float32
 * as MXNet does, so that a point exactly at the margin is inactive here too (relu's
 * gradient at 0 is 0). label gets a gradient: MXNet differentiates it.
 *
 * relu and its gradient are mshadow's (mxnet-ops.ts): NaN propagates through both.
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, relu, reluGrad } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

function hingeForward(
  pred: Float32Array,
  label: Float32Array,
  margin: number,
  { inner, groups, weights, weight }: FusedWalk,
  acc: Float64Array,
): void {
  const margin32 = Math.fround(margin);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = acc[group]!;
    for (let e = start; e < end; e++) {
      const loss = relu(Math.fround(margin32 - Math.fround(pred[e]! * label[e]!)));
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * weights[e]!) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    }
    acc[group] = sum;
    if (++group === groups) group = 0;
  }
}

function hingeForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  margin: number,
  { inner, groups, weights, weight }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  const margin32 = Math.fround(margin);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = acc[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const y = label[e]!;
      const t = Math.fround(margin32 - Math.fround(x * y));
      const loss = relu(t);
      sum += weights === null && weight === 1 ? loss : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      // relu's gradient (a product, so Inf * 0 is NaN as in MXNet), then d(t)/d(x*y) = -1.
      const gt = -(Math.fround(g * w) * reluGrad(t));
      predGrad[e] = gt * y;
      labelGrad[e] = gt * x;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class HingeLoss extends ElementwiseLoss<'HingeLoss'> {
  constructor(config: unknown) {
    super('HingeLoss', config, {
      forward: (plan, pred, label, walk, acc) => hingeForward(pred, label, plan.detail.margin, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) =>
        hingeForwardBackward(pred, label, plan.detail.margin, walk, ...buffers),
    });
  }
}
