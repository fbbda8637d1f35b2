/**
 * HuberLoss: with `a = |label - pred|`, `where(a > rho, a - rho/2, (0.5/rho) * a^2)`.
 * MXNet compares in float32 (`a` is a float32 tensor, rho a float32 scalar), so `a` is
 * computed in float32 here too; at `a == rho` the quadratic branch is taken.
 *
 * The two branches are taken explicitly (a branch-free `min(a, rho)` cancels to 0 when rho
 * is tiny beside a). Both are computed in float32 as MXNet computes them (`a - rho/2`, and
 * `(0.5/rho) * square(a)`), and where's gradient flows into both: the branch not taken
 * gets a 0 that square's gradient multiplies by `2a`, which is NaN where `2a` overflows
 * float32 or a is NaN/Inf, as in MXNet. The gradient of abs is sign(), 0 at 0.
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW, sign } from '../mxnet-ops.js';

function huberLoop(
  rho: number,
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
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const d = Math.fround(label[e]! - pred[e]!);
      const a = Math.abs(d);
      const linear = a > rho32;
      const loss = linear ? Math.fround(a - halfRho) : Math.fround(quadratic * Math.fround(a * a));
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && labelGrad !== null) {
        const gw = Math.fround(g * w);
        // d(loss)/d(a): the linear branch's G plus the quadratic branch's through square.
        const quadraticGrad = Math.fround(Math.fround((linear ? 0 : gw) * quadratic) * Math.fround(2 * a));
        const ga = Math.fround((linear ? gw : 0) + quadraticGrad);
        const gd = ga * sign(d);
        labelGrad[e] = gd;
        predGrad[e] = -gd;
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class HuberLoss extends ElementwiseLoss<'HuberLoss'> {
  constructor(config: unknown) {
    super('HuberLoss', config, (plan, buffers) => huberLoop(plan.detail.rho, buffers));
  }
}
