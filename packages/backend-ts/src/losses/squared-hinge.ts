/**
 * SquaredHingeLoss: `square(relu(margin - pred * label))`, the relu argument computed in
 * float32 as MXNet does, and relu as `0.5 * (t + |t|)` (see hinge.ts).
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function squaredHingeForward(
  pred: Float32Array,
  label: Float32Array,
  margin: number,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  const margin32 = Math.fround(margin);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const t = Math.fround(margin32 - Math.fround(pred[e]! * label[e]!));
      const r = 0.5 * (t + Math.abs(t));
      sum += r * r * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function squaredHingeForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  margin: number,
  { inner, groups, weights }: FusedWalk,
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
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const y = label[e]!;
      const t = Math.fround(margin32 - Math.fround(x * y));
      const r = 0.5 * (t + Math.abs(t));
      const loss = r * r;
      sum += loss * w;
      // d(r^2)/dr = 2r (0 where the relu is inactive, r being 0 there), then d(t)/d(x*y) = -1.
      const gt = -2 * r * g * w;
      predGrad[e] = gt * y;
      labelGrad[e] = gt * x;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
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
