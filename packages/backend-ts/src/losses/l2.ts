/**
 * L2Loss: `square(label - pred)`; MXNet applies `weight / 2` (already in the plan's
 * appliedWeight), so the gradient of one element is `2 * (label - pred) * G`.
 * Each step is rounded to float32 where MXNet materialises it (the difference, its
 * square, `2 * d` in square's gradient), so overflow gives Inf where MXNet's does.
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

function l2Forward(
  pred: Float32Array,
  label: Float32Array,
  { inner, groups, weights, weight }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = acc[group]!;
    for (let e = start; e < end; e++) {
      const d = Math.fround(label[e]! - pred[e]!);
      const loss = Math.fround(d * d);
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

function l2ForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  { inner, groups, weights, weight }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = acc[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const d = Math.fround(label[e]! - pred[e]!);
      const loss = Math.fround(d * d);
      sum += weights === null && weight === 1 ? loss : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      const gd = Math.fround(Math.fround(g * w) * Math.fround(2 * d));
      labelGrad[e] = gd;
      predGrad[e] = -gd;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class L2Loss extends ElementwiseLoss<'L2Loss'> {
  constructor(config: unknown) {
    super('L2Loss', config, {
      forward: (plan, pred, label, walk, acc) => l2Forward(pred, label, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) => l2ForwardBackward(pred, label, walk, ...buffers),
    });
  }
}
