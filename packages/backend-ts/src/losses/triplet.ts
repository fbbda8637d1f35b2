/**
 * TripletLoss: `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`,
 * the sum over every axis of pred but batch_axis, so the unweighted loss has shape
 * (batch,). positive and negative are read in pred's shape. No sample_weight in 1.9.1.
 *
 * Two passes: the per-sample sums (blocks of `inner` contiguous elements, block j in
 * sample j % batch), then, backward, each element's gradient from its sample's G (0
 * where the relu is inactive, including at exactly 0).
 *
 * In float32 as MXNet computes it: both squares and their difference are rounded per
 * element (Inf - Inf is NaN), the sum overflows to Inf for good (see FLOAT32_OVERFLOW), relu keeps
 * NaN, and the gradient is `G * relu'(t) * 2 * d` step by step.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { axisLayout } from '../log-softmax.js';
import { FLOAT32_OVERFLOW, relu, reluGrad } from '../mxnet-ops.js';

function tripletSums(
  pred: Float32Array,
  pos: Float32Array,
  neg: Float32Array,
  inner: number,
  batch: number,
  sums: Float64Array,
): void {
  let b = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = sums[b]!;
    for (let e = start; e < end; e++) {
      const dp = Math.fround(pos[e]! - pred[e]!);
      const dn = Math.fround(neg[e]! - pred[e]!);
      sum += Math.fround(Math.fround(dp * dp) - Math.fround(dn * dn));
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    }
    sums[b] = sum;
    if (++b === batch) b = 0;
  }
}

function tripletBackward(
  pred: Float32Array,
  pos: Float32Array,
  neg: Float32Array,
  inner: number,
  batch: number,
  activeGrad: Float64Array,
  gPred: Float32Array,
  gPos: Float32Array,
  gNeg: Float32Array,
): void {
  let b = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = activeGrad[b]!;
    for (let e = start; e < end; e++) {
      const gp = Math.fround(g * Math.fround(2 * Math.fround(pos[e]! - pred[e]!)));
      const gn = -Math.fround(g * Math.fround(2 * Math.fround(neg[e]! - pred[e]!)));
      gPos[e] = gp;
      gNeg[e] = gn;
      gPred[e] = -gp - gn;
    }
    if (++b === batch) b = 0;
  }
}

export class TripletLoss extends TsCompiledLoss<'TripletLoss'> {
  constructor(config: unknown) {
    super('TripletLoss', config);
  }

  /** The unweighted loss per sample, into `loss` (length batch). */
  #loss(
    plan: CallPlan<'TripletLoss'>,
    loss: Float64Array,
  ): { pred: Float32Array; pos: Float32Array; neg: Float32Array; inner: number; batch: number } {
    const pred = this.floatInput(plan, 'pred');
    const pos = this.floatInput(plan, 'positive');
    const neg = this.floatInput(plan, 'negative');
    const { classes: batch, inner } = axisLayout(plan.tensors.pred!.shape, plan.detail.batchAxis);
    tripletSums(pred, pos, neg, inner, batch, loss);
    const margin32 = Math.fround(plan.detail.margin);
    for (let b = 0; b < batch; b++) loss[b] = relu(Math.fround(Math.fround(loss[b]!) + margin32));
    return { pred, pos, neg, inner, batch };
  }

  protected runForward(plan: CallPlan<'TripletLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    this.#loss(plan, loss);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(plan: CallPlan<'TripletLoss'>, headGrad: FloatTensor): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const { pred, pos, neg, inner, batch } = this.#loss(plan, loss);
    // relu's gradient (relu' of relu(t) is relu' of t), as a product so that Inf * 0 and
    // NaN give NaN as in MXNet. lossGrad is this call's scratch: overwritten in place.
    for (let b = 0; b < batch; b++) lossGrad[b] = lossGrad[b]! * reluGrad(loss[b]!);
    const gPred = new Float32Array(pred.length);
    const gPos = new Float32Array(pred.length);
    const gNeg = new Float32Array(pred.length);
    tripletBackward(pred, pos, neg, inner, batch, lossGrad, gPred, gPos, gNeg);
    return this.result(plan, weighting.output(loss), { pred: gPred, positive: gPos, negative: gNeg });
  }
}
