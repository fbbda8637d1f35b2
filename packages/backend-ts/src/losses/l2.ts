/**
 * L2Loss: `square(label - pred)`; MXNet applies `weight / 2` (already in the plan's
 * appliedWeight), so the gradient of one element is `2 * (label - pred) * G`.
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function l2Forward(
  pred: Float32Array,
  label: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const d = label[e]! - pred[e]!;
      sum += d * d * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function l2ForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  { inner, groups, weights }: FusedWalk,
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
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const d = label[e]! - pred[e]!;
      const loss = d * d;
      sum += loss * w;
      const gd = 2 * d * g * w;
      labelGrad[e] = gd;
      predGrad[e] = -gd;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
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
