/**
 * HingeLoss: `relu(margin - pred * label)`. The argument of relu is computed in float32
 * as MXNet does, so that a point exactly at the margin is inactive here too (relu's
 * gradient at 0 is 0). label gets a gradient: MXNet differentiates it.
 *
 * relu and its gradient are mshadow's (mxnet-ops.ts): NaN propagates through both.
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, relu, reluGrad } from '../mxnet-ops.js';

function hingeLoop(
  margin: number,
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
  const margin32 = Math.fround(margin);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const y = label[e]!;
      const t = Math.fround(margin32 - Math.fround(x * y));
      const loss = relu(t);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        // relu's gradient (a product, so Inf * 0 is NaN as in MXNet), then d(t)/d(x*y) = -1.
        const gt = -(Math.fround(g * w) * reluGrad(t));
        predGrad[e] = gt * y;
        labelGrad[e] = gt * x;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class HingeLoss extends ElementwiseLoss<'HingeLoss'> {
  constructor(config: unknown) {
    super('HingeLoss', config, (plan, buffers) => hingeLoop(plan.detail.margin, buffers));
  }
}
