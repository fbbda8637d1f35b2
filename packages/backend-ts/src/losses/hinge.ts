/**
 * HingeLoss: `relu(margin - pred * label)`. The argument of relu is computed in float32
 * as MXNet does, so that a point exactly at the margin is inactive here too (relu's
 * gradient at 0 is 0). label gets a gradient: MXNet differentiates it.
 *
 * relu(t) is written `0.5 * (t + |t|)`, which is exact and branch-free (V8's Math.max is
 * several times slower in a hot loop, and a branch stalls on random signs).
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function hingeForward(
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
      sum += 0.5 * (t + Math.abs(t)) * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function hingeForwardBackward(
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
      const loss = 0.5 * (t + Math.abs(t));
      sum += loss * w;
      // relu'(t) is 1 for t > 0, else 0; d(t)/d(x*y) = -1.
      const gt = -(Number(t > 0) * g) * w;
      predGrad[e] = gt * y;
      labelGrad[e] = gt * x;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
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
