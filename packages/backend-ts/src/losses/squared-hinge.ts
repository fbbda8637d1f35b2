/**
 * SquaredHingeLoss: `square(relu(margin - pred * label))`, the relu argument computed in
 * float32 as MXNet does, and relu, its square and `2 * relu` in square's gradient too;
 * relu and its gradient are mshadow's (mxnet-ops.ts).
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, relu, reluGrad } from '../mxnet-ops.js';

function squaredHingeLoop(
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
      const r = relu(t);
      const loss = Math.fround(r * r);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        // d(r^2)/dr = 2r, then relu's gradient, then d(t)/d(x*y) = -1; each a float32 product.
        const gt = -Math.fround(Math.fround(Math.fround(g * w) * Math.fround(2 * r)) * reluGrad(t));
        predGrad[e] = gt * y;
        labelGrad[e] = gt * x;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class SquaredHingeLoss extends ElementwiseLoss<'SquaredHingeLoss'> {
  constructor(config: unknown) {
    super('SquaredHingeLoss', config, (plan, buffers) => squaredHingeLoop(plan.detail.margin, buffers));
  }
}
