/**
 * L1Loss: `abs(label - pred)`, the difference rounded to float32 as MXNet materialises it.
 * MXNet's gradient of abs is sign(), which is 0 at 0 (and at NaN).
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, sign } from '../mxnet-ops.js';

function l1Loop({
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
      const loss = Math.abs(d);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        const gd = Math.fround(g * w) * sign(d);
        labelGrad[e] = gd;
        predGrad[e] = -gd;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class L1Loss extends ElementwiseLoss<'L1Loss'> {
  constructor(config: unknown) {
    super('L1Loss', config, (plan, buffers) => l1Loop(buffers));
  }
}
