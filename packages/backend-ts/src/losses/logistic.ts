/**
 * LogisticLoss: the stable BCE formula `relu(x) - x*z + softrelu(-|x|)`, with
 * `z = (label + 1) / 2` for the signed format and `z = label` for binary.
 *
 * Gradients follow MXNet's chain rule term by term, including its conventions at x = 0:
 * relu'(0) = 0 and abs'(0) = sign(0) = 0, so d/dx at 0 is `-z`, not the true `0.5 - z`.
 * softrelu's gradient is `1 - exp(-softrelu(y)) = e / (1 + e)` with `e = exp(y)`.
 * relu(x) is written `0.5 * (x + |x|)`: exact and branch-free.
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function logisticForward(
  pred: Float32Array,
  label: Float32Array,
  signed: boolean,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  // signed: z = label/2 + 1/2; binary: z = label.
  const labelScale = signed ? 0.5 : 1;
  const labelShift = signed ? 0.5 : 0;
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const x = pred[e]!;
      const z = label[e]! * labelScale + labelShift;
      sum +=
        (0.5 * (x + Math.abs(x)) - x * z + Math.log1p(Math.exp(-Math.abs(x)))) * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function logisticForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  signed: boolean,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  const labelScale = signed ? 0.5 : 1;
  const labelShift = signed ? 0.5 : 0;
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const z = label[e]! * labelScale + labelShift;
      const ex = Math.exp(-Math.abs(x));
      const loss = 0.5 * (x + Math.abs(x)) - x * z + Math.log1p(ex);
      sum += loss * w;
      const gw = g * w;
      predGrad[e] = (Number(x > 0) - z - (ex / (1 + ex)) * (Number(x > 0) - Number(x < 0))) * gw;
      labelGrad[e] = -x * gw * labelScale;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

export class LogisticLoss extends ElementwiseLoss<'LogisticLoss'> {
  constructor(config: unknown) {
    super('LogisticLoss', config, {
      forward: (plan, pred, label, walk, acc) => logisticForward(pred, label, plan.detail.signed, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) =>
        logisticForwardBackward(pred, label, plan.detail.signed, walk, ...buffers),
    });
  }
}
