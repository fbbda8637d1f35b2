/**
 * PoissonNLLLoss. from_logits: `exp(pred) - target * pred`; otherwise
 * `pred - target * log(pred + epsilon)`. compute_full adds the Stirling term
 * `target*log(target) - target + 0.5*log(2*target*pi)` times `(target > 1)`: the product
 * is written out as MXNet evaluates it, so target == 0 gives NaN (0 * -inf) in the loss
 * and in target's gradient, and target in (0, 1] contributes exactly 0. The reduction is
 * a mean over every element, shape (1,) (the plan's 'mean-all').
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

const TWO_PI = 2 * Math.PI;

function poissonForward(
  pred: Float32Array,
  target: Float32Array,
  fromLogits: boolean,
  computeFull: boolean,
  epsilon: number,
  { inner, groups, weights }: FusedWalk,
  accumulators: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const x = pred[e]!;
      const t = target[e]!;
      let loss = fromLogits ? Math.exp(x) - t * x : x - t * Math.log(x + epsilon);
      if (computeFull) loss += (t * Math.log(t) - t + 0.5 * Math.log(TWO_PI * t)) * Number(t > 1);
      sum += loss * (weights === null ? 1 : weights[e]!);
    }
    accumulators[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function poissonForwardBackward(
  pred: Float32Array,
  target: Float32Array,
  fromLogits: boolean,
  computeFull: boolean,
  epsilon: number,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  accumulators: Float64Array,
  predGrad: Float32Array,
  targetGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const groupGrad = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const g = groupGrad * (weights === null ? 1 : weights[e]!);
      const x = pred[e]!;
      const t = target[e]!;
      let loss: number;
      let dTarget: number;
      if (fromLogits) {
        const ex = Math.exp(x);
        loss = ex - t * x;
        predGrad[e] = (ex - t) * g;
        dTarget = -x;
      } else {
        const logRate = Math.log(x + epsilon);
        loss = x - t * logRate;
        predGrad[e] = (1 - t / (x + epsilon)) * g;
        dTarget = -logRate;
      }
      if (computeFull) {
        const logT = Math.log(t);
        const mask = Number(t > 1);
        loss += (t * logT - t + 0.5 * Math.log(TWO_PI * t)) * mask;
        // d/dt of t*log(t) - t + 0.5*log(2*pi*t), each factor as autograd forms it, so
        // that t == 0 gives NaN (0 * inf) as MXNet does, even under the zero mask.
        dTarget += mask * (logT + t * (1 / t) - 1 + 0.5 * (1 / (TWO_PI * t)) * TWO_PI);
      }
      sum += loss * (weights === null ? 1 : weights[e]!);
      targetGrad[e] = dTarget * g;
      if (weightGrad !== null) weightGrad[e] = loss * groupGrad;
    }
    accumulators[group]! += sum;
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
