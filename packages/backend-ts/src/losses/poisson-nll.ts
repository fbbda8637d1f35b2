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
import { ElementwiseLoss } from '../elementwise-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

const PI32 = Math.fround(Math.PI);

/** `t*log(t) - t + 0.5*log(2*t*pi)` (before the `t > 1` mask) in MXNet's float32 steps. */
function stirling(t: number, logT: number, twoPiT: number): number {
  return Math.fround(Math.fround(Math.fround(t * logT) - t) + Math.fround(0.5 * Math.fround(Math.log(twoPiT))));
}

function poissonForward(
  pred: Float32Array,
  target: Float32Array,
  fromLogits: boolean,
  computeFull: boolean,
  epsilon: number,
  { inner, groups, weights, weight }: FusedWalk,
  accumulators: Float64Array,
): void {
  const epsilon32 = Math.fround(epsilon);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const x = pred[e]!;
      const t = target[e]!;
      let loss = fromLogits
        ? Math.fround(Math.fround(Math.exp(x)) - Math.fround(t * x))
        : Math.fround(x - Math.fround(t * Math.fround(Math.log(Math.fround(x + epsilon32)))));
      if (computeFull) {
        const s = stirling(t, Math.fround(Math.log(t)), Math.fround(Math.fround(2 * t) * PI32));
        loss = Math.fround(loss + s * Number(t > 1));
      }
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * weights[e]!) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

function poissonForwardBackward(
  pred: Float32Array,
  target: Float32Array,
  fromLogits: boolean,
  computeFull: boolean,
  epsilon: number,
  { inner, groups, weights, weight }: FusedWalk,
  lossGrad: Float64Array,
  accumulators: Float64Array,
  predGrad: Float32Array,
  targetGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  const epsilon32 = Math.fround(epsilon);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const groupGrad = lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const g = Math.fround(groupGrad * w);
      const x = pred[e]!;
      const t = target[e]!;
      let loss: number;
      let dTarget: number;
      if (fromLogits) {
        const ex = Math.fround(Math.exp(x));
        loss = Math.fround(ex - Math.fround(t * x));
        predGrad[e] = Math.fround(g * ex) - Math.fround(g * t);
        dTarget = -Math.fround(g * x);
      } else {
        const shifted = Math.fround(x + epsilon32);
        const logRate = Math.fround(Math.log(shifted));
        loss = Math.fround(x - Math.fround(t * logRate));
        predGrad[e] = g - Math.fround(Math.fround(g * t) * Math.fround(1 / shifted));
        dTarget = -Math.fround(g * logRate);
      }
      if (computeFull) {
        const logT = Math.fround(Math.log(t));
        const twoPiT = Math.fround(Math.fround(2 * t) * PI32);
        const mask = Number(t > 1);
        loss = Math.fround(loss + stirling(t, logT, twoPiT) * mask);
        // d/dt of t*log(t) - t + 0.5*log(2*t*pi) under the mask, each factor as autograd
        // forms it, so that t == 0 gives NaN (0 * inf) as MXNet does, even masked.
        const gs = g * mask;
        const dLog = Math.fround(Math.fround(gs * t) * Math.fround(1 / t));
        const dHalfLog = Math.fround(
          Math.fround(Math.fround(Math.fround(gs * 0.5) * Math.fround(1 / twoPiT)) * PI32) * 2,
        );
        dTarget = Math.fround(dTarget + Math.fround(Math.fround(Math.fround(gs * logT) + dLog) - gs + dHalfLog));
      }
      sum += weights === null && weight === 1 ? loss : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      targetGrad[e] = dTarget;
      if (weightGrad !== null) weightGrad[e] = loss * groupGrad;
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
      {
        forward: (plan, pred, target, walk, acc) => {
          const { fromLogits, computeFull } = plan.detail;
          poissonForward(pred, target, fromLogits, computeFull, plan.scalars.epsilon!, walk, acc);
        },
        forwardBackward: (plan, pred, target, walk, ...buffers) => {
          const { fromLogits, computeFull } = plan.detail;
          poissonForwardBackward(pred, target, fromLogits, computeFull, plan.scalars.epsilon!, walk, ...buffers);
        },
      },
      'target',
    );
  }
}
