/**
 * PoissonNLLLoss. from_logits: `exp(pred) - target * pred`; otherwise
 * `pred - target * log(pred + epsilon)`. compute_full adds the Stirling term
 * `target*log(target) - target + 0.5*log(2*target*pi)` times `(target > 1)`: the product
 * is written out as MXNet evaluates it, so target == 0 gives NaN (0 * -inf) in the loss
 * and in target's gradient, and target in (0, 1] contributes exactly 0. The reduction is
 * a mean over every element, shape (1,) (the plan's 'mean-all').
 *
 * Every operator's result is rounded to float32 where MXNet materialises it (pi and
 * epsilon are float32 scalars there), and each gradient is MXNet's chain written out, so
 * that overflow, Inf - Inf and 0 * Inf give Inf and NaN where MXNet's do.
 */
import { ElementwiseLoss, type ElementwiseBuffers } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';

const PI32 = Math.fround(Math.PI);

/** `t*log(t) - t + 0.5*log(2*t*pi)` (before the `t > 1` mask) in MXNet's float32 steps. */
function stirling(t: number, logT: number, twoPiT: number): number {
  return Math.fround(Math.fround(Math.fround(t * logT) - t) + Math.fround(0.5 * Math.fround(Math.log(twoPiT))));
}

function poissonLoop(
  fromLogits: boolean,
  computeFull: boolean,
  epsilon: number,
  {
    pred,
    label: target,
    walk: { inner, groups, weights, weight },
    accumulators,
    lossGrad,
    predGrad,
    labelGrad: targetGrad,
    weightGrad,
  }: ElementwiseBuffers,
): void {
  const epsilon32 = Math.fround(epsilon);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const groupGrad = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const x = pred[e]!;
      const t = target[e]!;
      // The terms the gradients reuse: exp(x) (from_logits), or the rate x + epsilon and
      // its log; log(t), 2*t*pi and the t > 1 mask (compute_full).
      let loss: number;
      let ex = 0;
      let shifted = 0;
      let logRate = 0;
      if (fromLogits) {
        ex = Math.fround(Math.exp(x));
        loss = Math.fround(ex - Math.fround(t * x));
      } else {
        shifted = Math.fround(x + epsilon32);
        logRate = Math.fround(Math.log(shifted));
        loss = Math.fround(x - Math.fround(t * logRate));
      }
      let logT = 0;
      let twoPiT = 0;
      let mask = 0;
      if (computeFull) {
        logT = Math.fround(Math.log(t));
        twoPiT = Math.fround(Math.fround(2 * t) * PI32);
        mask = Number(t > 1);
        loss = Math.fround(loss + stirling(t, logT, twoPiT) * mask);
      }
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (predGrad !== null && targetGrad !== null) {
        const g = Math.fround(groupGrad * w);
        let dTarget: number;
        if (fromLogits) {
          predGrad[e] = Math.fround(g * ex) - Math.fround(g * t);
          dTarget = -Math.fround(g * x);
        } else {
          predGrad[e] = g - Math.fround(Math.fround(g * t) * Math.fround(1 / shifted));
          dTarget = -Math.fround(g * logRate);
        }
        if (computeFull) {
          // d/dt of t*log(t) - t + 0.5*log(2*t*pi) under the mask, each factor as autograd
          // forms it, so that t == 0 gives NaN (0 * inf) as MXNet does, even masked.
          const gs = g * mask;
          const dLog = Math.fround(Math.fround(gs * t) * Math.fround(1 / t));
          const dHalfLog = Math.fround(
            Math.fround(Math.fround(Math.fround(gs * 0.5) * Math.fround(1 / twoPiT)) * PI32) * 2,
          );
          dTarget = Math.fround(dTarget + Math.fround(Math.fround(Math.fround(gs * logT) + dLog) - gs + dHalfLog));
        }
        targetGrad[e] = dTarget;
        if (weightGrad !== null) weightGrad[e] = loss * groupGrad;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

export class PoissonNLLLoss extends ElementwiseLoss<'PoissonNLLLoss'> {
  constructor(config: unknown) {
    super(
      'PoissonNLLLoss',
      config,
      (plan, buffers) => {
        const { fromLogits, computeFull } = plan.detail;
        poissonLoop(fromLogits, computeFull, plan.scalars.epsilon!, buffers);
      },
      'target',
    );
  }
}
