/**
 * SoftmaxCrossEntropyLoss (alias SoftmaxCELoss): `-pick(log_softmax(pred, axis), label)`
 * (sparse) or `-sum(log_softmax(pred, axis) * label, axis)` (dense), one fused pass per
 * softmax row (kernels/softmax-cross-entropy.c), any axis (rows of stride `inner`). The
 * kernel writes each position's unweighted loss; the weighting rules then run per element.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';
import { axisLayout } from '../layout.js';

interface SoftmaxDetail {
  readonly sparseLabel: boolean;
  readonly fromLogits: boolean;
  readonly axis: number;
}

export class SoftmaxCrossEntropyLoss extends WasmCompiledLoss {
  constructor(config: unknown, heap: KernelHeap) {
    super('SoftmaxCrossEntropyLoss', config, heap);
  }

  /** Runs the kernel; G is 0 (no gradient) forward. Returns the loss and gradient addresses. */
  #run(
    call: KernelCall,
    plan: CallPlan,
    lossGrad: Float64Array | null,
  ): { loss: Float64Array; gx: number; gl: number } {
    const { sparseLabel, fromLogits, axis } = plan.detail as unknown as SoftmaxDetail;
    const pred = this.input(plan, 'pred');
    const { outer, classes, inner } = axisLayout(plan.tensors.pred!.shape, axis);
    const positions = outer * inner;
    const n = pred.length;
    call.reserveCheck(n * (sparseLabel ? 8 : 16) + positions * 16);
    const px = call.putF32(pred);
    const pl = call.putF32(this.input(plan, 'label'));
    const pg = lossGrad === null ? 0 : call.putF32(lossGrad);
    const loss = call.outF32(positions * 2); // float64 values
    const gx = lossGrad === null ? 0 : call.outF32(n);
    const gl = lossGrad === null || sparseLabel ? 0 : call.outF32(n);
    const f = fromLogits ? 1 : 0;
    if (sparseLabel) call.kernel('softmax_ce_sparse')(px, pl, outer, classes, inner, f, pg, loss, gx);
    else call.kernel('softmax_ce_dense')(px, pl, outer, classes, inner, f, pg, loss, gx, gl);
    return { loss: call.takeF64(loss, positions), gx, gl };
  }

  protected forwardIn(call: KernelCall, plan: CallPlan): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    return { loss: weighting.output(this.#run(call, plan, null).loss) };
  }

  protected forwardBackwardIn(call: KernelCall, plan: CallPlan, headGrad: FloatTensor): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { loss, gx, gl } = this.#run(call, plan, lossGrad);
    const n = plan.tensors.pred!.data.length;
    return this.result(plan, weighting.output(loss), {
      pred: call.takeF32(gx, n),
      label: gl === 0 ? undefined : call.takeF32(gl, n),
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }
}
