/**
 * LogisticLoss: the stable BCE formula `relu(x) - x*z + softrelu(-|x|)`, with
 * `z = (label + 1) / 2` for the signed format and `z = label` for binary.
 *
 * Gradients follow MXNet's chain rule term by term, including its conventions at x = 0:
 * relu'(0) = 0 and abs'(0) = sign(0) = 0, so d/dx at 0 is `-z`, not the true `0.5 - z`.
 * softrelu's gradient, mshadow's `-expm1(-softrelu(y))`, is computed as `e / (1 + e)`
 * with `e = exp(-|x|)`: equal but for rounding (Inf and NaN included), one exp fewer.
 * Every term is rounded to
 * float32 where MXNet materialises it, and the three gradient terms are added in float32,
 * so that Inf - Inf and 0 * Inf give NaN where MXNet's do; relu is mshadow's (NaN stays).
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, relu, reluGrad, sign } from '../mxnet-ops.js';

function logisticLoop(
  signed: boolean,
  {
    pred,
    label,
    walk: { inner, groups, weights, weight },
    accumulators,
    lossGrad,
    predGrad,
    labelGrad,
    weightGrad,
  }: ElementwiseBuffers,
): void {
  // signed: z = (label + 1) / 2; binary: z = label.
  const labelShift = signed ? 1 : 0;
  const labelScale = signed ? 0.5 : 1;
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const z = Math.fround(label[e]! + labelShift) * labelScale;
      const ex = Math.exp(-Math.abs(x));
      const softrelu = Math.fround(Math.log1p(ex));
      const loss = Math.fround(Math.fround(relu(x) - Math.fround(x * z)) + softrelu);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        const gw = Math.fround(g * w);
        // relu's term, then -x*z's, then softrelu(-|x|)'s through -abs (sign(x)).
        const softreluGrad = Math.fround(gw * Math.fround(ex / (1 + ex)));
        const gx = Math.fround(Math.fround(gw * reluGrad(x)) - Math.fround(gw * z));
        predGrad[e] = gx - softreluGrad * sign(x);
        labelGrad[e] = -Math.fround(gw * x) * labelScale;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class LogisticLoss extends ElementwiseLoss<'LogisticLoss'> {
  constructor(config: unknown) {
    super('LogisticLoss', config, (plan, buffers) => logisticLoop(plan.detail.signed, buffers));
  }
}
