/**
 * SquaredHingeLoss: `square(relu(margin - pred * label))`, the relu argument computed in
 * float32 as MXNet does, and relu, its square and `2 * relu` in square's gradient too;
 * relu and its gradient are mshadow's (mxnet-ops.ts).
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, relu, reluGrad } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

function squaredHingeForward(
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
      const r = relu(Math.fround(margin32 - Math.fround(pred[e]! * label[e]!)));
      const loss = Math.fround(r * r);
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

function squaredHingeForwardBackward(
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
      const r = relu(t);
      const loss = Math.fround(r * r);
      sum += weights === null && weight === 1 ? loss : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      // d(r^2)/dr = 2r, then relu's gradient, then d(t)/d(x*y) = -1; each a float32 product.
      const gt = -Math.fround(Math.fround(Math.fround(g * w) * Math.fround(2 * r)) * reluGrad(t));
      predGrad[e] = gt * y;
      labelGrad[e] = gt * x;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class SquaredHingeLoss extends ElementwiseLoss<'SquaredHingeLoss'> {
  constructor(config: unknown) {
    super('SquaredHingeLoss', config, {
      forward: (plan, pred, label, walk, acc) => squaredHingeForward(pred, label, plan.detail.margin, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) =>
        squaredHingeForwardBackward(pred, label, plan.detail.margin, walk, ...buffers),
    });
  }
}
