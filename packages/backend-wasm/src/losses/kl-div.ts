/**
 * KLDivLoss: `label * (log(label + 1e-12) - logp)`, with `logp = pred` (from_logits, the
 * default) or `log_softmax(pred, axis)`, summed over the non-batch axes by the weighting
 * rules (reduction 'sum', as MXNet 1.9.x computes). kernels/kl-div.c is the elementwise
 * pass and kernels/softmax-cross-entropy.c has log_softmax and its backward; without a
 * broadcast every operand stays in wasm memory between the passes. When pred (or its
 * log_softmax) and label broadcast against each other, they are materialised in the loss
 * shape and the gradients summed back.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { WasmCompiledLoss } from '../compiled-loss.js';
import { NO_SCALARS } from '../elementwise-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';
import { axisLayout } from '../layout.js';

/** MXNet's `1e-12` inside the log of the label, a float32 scalar there. */
const EPS = Math.fround(1e-12);

interface Operands {
  /** pred's log-probabilities in its own shape. */
  readonly ownLogp: number;
  /** logp and label in the loss shape. */
  readonly logp: number;
  readonly label: number;
  readonly size: number;
  readonly predMap: BroadcastMap | null;
  readonly labelMap: BroadcastMap | null;
}

export class KLDivLoss extends WasmCompiledLoss<'KLDivLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('KLDivLoss', config, heap);
  }

  /**
   * The kernel runs MXNet's chain of float32 operators (kernels/kl-div.c), a call with
   * special values reduces in MXNet's float32 order, and a broadcast label's gradient
   * sums its two parts before the log's backward, as MXNet; a oneDNN log_softmax row with
   * a NaN or +Inf is refused first (bitExactOnly).
   */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  #operands(call: KernelCall, plan: CallPlan<'KLDivLoss'>): Operands {
    const pred = this.input(plan, 'pred');
    const predShape = plan.tensors.pred!.shape;
    const size = sizeOf(plan.lossShape);
    call.reserveCheck((pred.length + size) * 24);
    let ownLogp = call.putF32(pred);
    if (!plan.detail.fromLogits) {
      const { outer, classes, inner } = axisLayout(predShape, plan.detail.axis);
      const out = call.outF32(pred.length);
      call.kernel('log_softmax')(ownLogp, outer, classes, inner, out);
      ownLogp = out;
    }
    let logp = ownLogp;
    let predMap: BroadcastMap | null = null;
    if (!sameShape(predShape, plan.lossShape)) {
      predMap = broadcastMap(predShape, plan.lossShape);
      logp = call.putF32(gatherBroadcast(call.f32(ownLogp, pred.length).slice(), predMap, new Float32Array(size)));
    }
    const labelTensor = plan.tensors.label!;
    let labelMap: BroadcastMap | null = null;
    let label: number;
    if (sameShape(labelTensor.shape, plan.lossShape)) {
      label = call.putF32(labelTensor.data);
    } else {
      labelMap = broadcastMap(labelTensor.shape, plan.lossShape);
      label = call.putF32(gatherBroadcast(Float32Array.from(labelTensor.data), labelMap, new Float32Array(size)));
    }
    return { ownLogp, logp, label, size, predMap, labelMap };
  }

  #weights(call: KernelCall): number {
    const w = this.weighting.weights;
    return w === null ? 0 : call.putF32(w);
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'KLDivLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const { logp, label, size } = this.#operands(call, plan);
    const pw = this.#weights(call);
    const acc = call.zerosF64(weighting.groups);
    call.kernel('kl_div_forward')(logp, label, size, weighting.inner, weighting.groups, pw, acc, ...NO_SCALARS);
    return { loss: weighting.output(call.takeF64(acc, weighting.groups)) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'KLDivLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { ownLogp, logp, label, size, predMap, labelMap } = this.#operands(call, plan);
    const pw = this.#weights(call);
    const pg = call.putF32(lossGrad);
    const acc = call.zerosF64(weighting.groups);
    const gLogpLoss = call.outF32(size);
    let gLogp = gLogpLoss;
    const gLabel = call.outF32(size);
    const weightGrad = weighting.weightGradTarget();
    const pgw = weightGrad === null ? 0 : call.outF32(size);
    call.kernel('kl_div_backward')(
      logp,
      label,
      size,
      weighting.inner,
      weighting.groups,
      pw,
      pg,
      acc,
      gLogp,
      gLabel,
      pgw,
      0,
      0,
      0,
      0,
      labelMap === null ? 0 : 1,
    );
    if (weightGrad !== null) weightGrad.set(call.f32(pgw, size));
    const accumulators = call.takeF64(acc, weighting.groups);

    // Back to pred's shape, then through log_softmax when MXNet applied it.
    const predSize = plan.tensors.pred!.data.length;
    if (predMap !== null) {
      const own = new Float32Array(predSize);
      sumToSource(call.f32(gLogp, size), predMap, own);
      gLogp = call.putF32(own);
    }
    let predGrad = gLogp;
    if (!plan.detail.fromLogits) {
      const { outer, classes, inner } = axisLayout(plan.tensors.pred!.shape, plan.detail.axis);
      predGrad = call.outF32(predSize);
      call.kernel('log_softmax_backward')(ownLogp, gLogp, outer, classes, inner, predGrad);
    }
    let labelGrad: Float32Array;
    if (labelMap === null) {
      labelGrad = call.takeF32(gLabel, size);
    } else {
      // MXNet's chain with a broadcast label: the product's part `G * diff` (what the
      // kernel wrote) and the log's incoming gradient `G * label` (= -gLogp) are each summed
      // (float32) over the broadcast axes, and only then is the latter multiplied by log's
      // `1 / (label + 1e-12)`: a sum of large `G * label` overflows to Inf where the
      // per-element quotients would not.
      const labelData = plan.tensors.label!.data;
      labelGrad = new Float32Array(labelData.length);
      const own = new Float64Array(labelData.length);
      const viaLog = new Float64Array(labelData.length);
      sumToSource(call.f32(gLabel, size), labelMap, own);
      sumToSource(call.f32(gLogpLoss, size), labelMap, viaLog);
      for (let i = 0; i < labelGrad.length; i++) {
        const inverse = Math.fround(1 / Math.fround(labelData[i]! + EPS));
        labelGrad[i] = Math.fround(own[i]! + Math.fround(-viaLog[i]! * inverse));
      }
    }
    return this.result(plan, weighting.output(accumulators), {
      pred: call.takeF32(predGrad, predSize),
      label: labelGrad,
      sample_weight: weighting.sampleWeightGrad(accumulators, headGrad.data, weightGrad),
    });
  }
}
