/**
 * SoftmaxCrossEntropyLoss (alias SoftmaxCELoss): `-pick(log_softmax(pred, axis), label)`
 * (sparse) or `-sum(log_softmax(pred, axis) * label, axis)` (dense), one fused pass per
 * softmax row (kernels/softmax-cross-entropy.c), any axis (rows of stride `inner`). The
 * kernel writes each position's unweighted loss; the weighting rules then run per element.
 */
import {
  type BitExactKinds,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import { runSpread, THREAD_THRESHOLD } from '../elementwise-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';
import { axisLayout } from '../layout.js';

interface RowsResult {
  readonly loss: Float64Array;
  readonly pred: Float32Array | undefined;
  readonly label: Float32Array | undefined;
}

interface RowsCall {
  readonly kernel: string;
  readonly rows: number;
  /** Large enough to spread over the pool. */
  readonly large: boolean;
  args(o0: number, o1: number): number[];
  finish(): RowsResult;
}

export class SoftmaxCrossEntropyLoss extends WasmCompiledLoss<'SoftmaxCrossEntropyLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('SoftmaxCrossEntropyLoss', config, heap);
  }

  /**
   * The kernel runs MXNet's operators in their order (a call with special values sums
   * its rows in float32 order), so Inf and NaN land where MXNet's do; a oneDNN row with a
   * NaN or +Inf is refused first (bitExactOnly).
   */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  /**
   * Not MXNet's float32 order where magnitudes pass 2^24: logits of 1.9e18 under a dense
   * label gave -Inf where MXNet's float32 log_softmax and product give NaN (nightly seed
   * 202612020, SoftmaxCE case 61). Such a call is refused (the spec's moderateMagnitudes)
   * and the router runs it on backend-ts, which models oneDNN's kernel.
   */
  protected override get reproducesBitExact(): BitExactKinds {
    return {};
  }

  /**
   * Copies a call in and says how to run it: `args(o0, o1)` are the kernel's arguments
   * for rows [o0, o1) of the `outer` rows (every pointer moved to row o0); `finish`
   * reads the loss back. G is 0 (no gradient) forward.
   */
  #setup(call: KernelCall, plan: CallPlan<'SoftmaxCrossEntropyLoss'>, lossGrad: Float64Array | null): RowsCall {
    const { sparseLabel, fromLogits, axis } = plan.detail;
    const pred = this.input(plan, 'pred');
    const { outer, classes, inner } = axisLayout(plan.tensors.pred!.shape, axis);
    const positions = outer * inner;
    const ordered = this.reducesInFloat32Order(call, plan);
    const n = pred.length;
    call.reserveCheck(n * (sparseLabel ? 8 : 16) + positions * 16);
    const px = call.putF32(pred);
    const pl = call.putF32(this.input(plan, 'label'));
    const pg = lossGrad === null ? 0 : call.putF32(lossGrad);
    const loss = call.alloc(positions * 8);
    const gx = lossGrad === null ? 0 : call.outF32(n);
    const gl = lossGrad === null || sparseLabel ? 0 : call.outF32(n);
    const row = classes * inner;
    const at = (p: number, bytesPerRow: number, o0: number): number => (p === 0 ? 0 : p + o0 * bytesPerRow);
    return {
      kernel: sparseLabel ? 'softmax_ce_sparse' : 'softmax_ce_dense',
      rows: outer,
      large: n >= THREAD_THRESHOLD && outer > 1,
      args: (o0, o1) => [
        at(px, row * 4, o0),
        at(pl, (sparseLabel ? inner : row) * 4, o0),
        o1 - o0,
        classes,
        inner,
        fromLogits ? 1 : 0,
        ordered ? 1 : 0,
        at(pg, inner * 4, o0),
        at(loss, inner * 8, o0),
        at(gx, row * 4, o0),
        ...(sparseLabel ? [] : [at(gl, row * 4, o0)]),
      ],
      finish: () => ({
        loss: call.takeF64(loss, positions),
        pred: gx === 0 ? undefined : call.takeF32(gx, n),
        label: gl === 0 ? undefined : call.takeF32(gl, n),
      }),
    };
  }

  /** Runs a set-up call: on this thread, or (threaded variant, large call) its rows spread over the pool. */
  async #spread(call: KernelCall, rows: RowsCall): Promise<void> {
    if (rows.large && call.pool !== undefined) await runSpread(call, rows.kernel, rows.rows, rows.args);
    else call.kernel(rows.kernel)(...rows.args(0, rows.rows));
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'SoftmaxCrossEntropyLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const rows = this.#setup(call, plan, null);
    call.kernel(rows.kernel)(...rows.args(0, rows.rows));
    return { loss: weighting.output(rows.finish().loss) };
  }

  protected override async forwardInThreaded(
    call: KernelCall,
    plan: CallPlan<'SoftmaxCrossEntropyLoss'>,
  ): Promise<ForwardResult> {
    const weighting = this.weighting.begin(plan, true);
    const rows = this.#setup(call, plan, null);
    await this.#spread(call, rows);
    return { loss: weighting.output(rows.finish().loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'SoftmaxCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const rows = this.#setup(call, plan, weighting.lossGrad(headGrad.data));
    call.kernel(rows.kernel)(...rows.args(0, rows.rows));
    return this.#result(plan, headGrad, rows.finish());
  }

  protected override async forwardBackwardInThreaded(
    call: KernelCall,
    plan: CallPlan<'SoftmaxCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): Promise<ForwardBackwardResult> {
    const weighting = this.weighting.begin(plan, true);
    const rows = this.#setup(call, plan, weighting.lossGrad(headGrad.data));
    await this.#spread(call, rows);
    return this.#result(plan, headGrad, rows.finish());
  }

  #result(plan: CallPlan<'SoftmaxCrossEntropyLoss'>, headGrad: FloatTensor, r: RowsResult): ForwardBackwardResult {
    return this.result(plan, this.weighting.output(r.loss), {
      pred: r.pred,
      label: r.label,
      sample_weight: this.weighting.sampleWeightGrad(r.loss, headGrad.data),
    });
  }
}
