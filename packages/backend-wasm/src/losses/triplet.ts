/**
 * TripletLoss: `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`,
 * the sum over every axis of pred but batch_axis (kernels/triplet.c walks the samples'
 * elements; the relu and margin are a few scalars per sample, here). Backward, each
 * sample's G is masked where the hinge is inactive (as a product, so NaN stays NaN).
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import { NO_SCALARS } from '../elementwise-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';
import { axisLayout } from '../layout.js';

export class TripletLoss extends WasmCompiledLoss<'TripletLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('TripletLoss', config, heap);
  }

  #operands(
    call: KernelCall,
    plan: CallPlan<'TripletLoss'>,
  ): { px: number; pp: number; pn: number; n: number; inner: number; batch: number } {
    const pred = this.input(plan, 'pred');
    const { classes: batch, inner } = axisLayout(plan.tensors.pred!.shape, plan.detail.batchAxis);
    call.reserveCheck(pred.length * 24 + batch * 16);
    return {
      px: call.putF32(pred),
      pp: call.putF32(this.input(plan, 'positive')),
      pn: call.putF32(this.input(plan, 'negative')),
      n: pred.length,
      inner,
      batch,
    };
  }

  #loss(sums: Float64Array, margin: number): Float64Array {
    for (let b = 0; b < sums.length; b++) {
      const t = sums[b]! + margin;
      sums[b] = t > 0 ? t : 0;
    }
    return sums;
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'TripletLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const { px, pp, pn, n, inner, batch } = this.#operands(call, plan);
    const acc = call.zerosF64(batch);
    call.kernel('triplet_forward')(px, pp, pn, n, inner, batch, 0, acc, ...NO_SCALARS);
    return { loss: weighting.output(this.#loss(call.takeF64(acc, batch), plan.detail.margin)) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'TripletLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { px, pp, pn, n, inner, batch } = this.#operands(call, plan);
    const acc = call.zerosF64(batch);
    call.kernel('triplet_forward')(px, pp, pn, n, inner, batch, 0, acc, ...NO_SCALARS);
    const loss = this.#loss(call.takeF64(acc, batch), plan.detail.margin);
    const active = new Float64Array(batch);
    for (let b = 0; b < batch; b++) active[b] = lossGrad[b]! * (loss[b]! > 0 ? 1 : 0);
    const pg = call.putF32(active);
    const scratch = call.zerosF64(batch);
    const gx = call.outF32(n);
    const gp = call.outF32(n);
    const gn = call.outF32(n);
    call.kernel('triplet_backward')(px, pp, pn, n, inner, batch, 0, pg, scratch, gx, gp, gn, 0, ...NO_SCALARS);
    return this.result(plan, weighting.output(loss), {
      pred: call.takeF32(gx, n),
      positive: call.takeF32(gp, n),
      negative: call.takeF32(gn, n),
    });
  }
}
