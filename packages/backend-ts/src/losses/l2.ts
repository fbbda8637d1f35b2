/**
 * L2Loss: `square(label - pred)`; MXNet applies `weight / 2` (already in the plan's
 * appliedWeight), so the gradient of one element is `2 * (label - pred) * G`.
 * Each step is rounded to float32 where MXNet materialises it (the difference, its
 * square, `2 * d` in square's gradient), so overflow gives Inf where MXNet's does.
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';

function l2Loop({
  pred,
  label,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  predGrad,
  labelGrad,
  weightGrad,
}: ElementwiseBuffers): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const d = Math.fround(label[e]! - pred[e]!);
      const loss = Math.fround(d * d);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        const gd = Math.fround(Math.fround(g * w) * Math.fround(2 * d));
        labelGrad[e] = gd;
        predGrad[e] = -gd;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class L2Loss extends ElementwiseLoss<'L2Loss'> {
  constructor(config: unknown) {
    super('L2Loss', config, (plan, buffers) => l2Loop(buffers));
  }
}
