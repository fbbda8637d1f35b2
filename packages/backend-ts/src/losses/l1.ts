/** L1Loss: `abs(label - pred)`. MXNet's gradient of abs is sign(), which is 0 at 0 (and at NaN). */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function l1Forward(
  pred: Float32Array,
  label: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) sum += Math.abs(label[e]! - pred[e]!) * (weights === null ? 1 : weights[e]!);
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function l1ForwardBackward(
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
      const loss = Math.abs(d);
      sum += loss * w;
      // sign(d) without a branch; NaN gives 0, as mshadow's sign.
      const gd = (Number(d > 0) - Number(d < 0)) * g * w;
      labelGrad[e] = gd;
      predGrad[e] = -gd;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

export class L1Loss extends ElementwiseLoss<'L1Loss'> {
  constructor(config: unknown) {
    super('L1Loss', config, {
      forward: (plan, pred, label, walk, acc) => l1Forward(pred, label, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) => l1ForwardBackward(pred, label, walk, ...buffers),
    });
  }
}
