/**
 * SDMLLoss (batchwise smoothed deep metric learning), as MXNet 1.9.1 computes it
 * (kernels/sdml.c): squared distances between every x1 row and every x2 row, their
 * negated log_softmax per row, and a KLDivLoss (from_logits, summed over axis 1) against
 * the smoothed identity `eye * (1 - s) + (1 - eye) * s / (N - 1)`, whose two values are
 * computed here with MXNet's arithmetic, so a batch of 1 divides 0 by 0 and every output
 * is NaN, as in MXNet. `weight` is never applied (1.9.1 stores it only).
 */
import type { BitExactKinds, CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';

export class SDMLLoss extends WasmCompiledLoss<'SDMLLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('SDMLLoss', config, heap);
  }

  /**
   * The kernel runs MXNet's operators in their order, so an overflow lands where MXNet's
   * does; a NaN or an infinity in x1 or x2 (a NaN distance, oneDNN's log_softmax rows) is
   * refused first (bitExactOnly).
   */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  /**
   * Not MXNet's float32 order where magnitudes pass 2^24: there MXNet's gradient is
   * float32 cancellation noise (-147.5 where its float64 run gives -3.02; nightly seed
   * 202612020, SDML cases 7, 157, 216), which only an operator-by-operator float32 model
   * reproduces (backend-ts's); this kernel's float64 backward lands elsewhere. Such a call
   * is refused (the spec's moderateMagnitudes) and the router runs it on backend-ts.
   */
  protected override get reproducesBitExact(): BitExactKinds {
    return {};
  }

  #run(
    call: KernelCall,
    plan: CallPlan<'SDMLLoss'>,
    lossGrad: Float64Array | null,
  ): { loss: Float64Array; g1: number; g2: number } {
    const { batch, dim, smoothing } = plan.detail;
    const diagonal = 1 * (1 - smoothing) + (0 * smoothing) / (batch - 1);
    const offDiagonal = 0 * (1 - smoothing) + (1 * smoothing) / (batch - 1);
    // The distances are Kahan sums and the backward float64 (kernels/sdml.c; `wide` is the
    // backward's scratch).
    const wide = lossGrad !== null;
    call.reserveCheck(batch * dim * (wide ? 32 : 16) + batch * batch * 4 + batch * (wide ? 24 : 16));
    const p1 = call.putF32(this.input(plan, 'x1'));
    const p2 = call.putF32(this.input(plan, 'x2'));
    const pg = lossGrad === null ? 0 : call.putF32(lossGrad);
    const loss = call.outF32(batch * 2);
    const logp = call.outF32(batch * batch);
    const g1 = lossGrad === null ? 0 : call.outF32(batch * dim);
    const g2 = lossGrad === null ? 0 : call.outF32(batch * dim);
    const pw = wide ? call.alloc((2 * batch * dim + batch) * 8) : 0;
    call.kernel('sdml')(p1, p2, batch, dim, diagonal, offDiagonal, pg, loss, logp, g1, g2, pw);
    return { loss: call.takeF64(loss, batch), g1, g2 };
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'SDMLLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    return { loss: weighting.output(this.#run(call, plan, null).loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'SDMLLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const { batch, dim } = plan.detail;
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { loss, g1, g2 } = this.#run(call, plan, lossGrad);
    return this.result(plan, weighting.output(loss), {
      x1: call.takeF32(g1, batch * dim),
      x2: call.takeF32(g2, batch * dim),
    });
  }
}
