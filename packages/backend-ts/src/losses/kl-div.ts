/**
 * KLDivLoss: `label * (log(label + 1e-12) - logp)`, with `logp = pred` (from_logits, the
 * default) or `log_softmax(pred, axis)`, summed (MXNet 1.9.x sums; its docstring says
 * averaged) over the non-batch axes by the weighting rules (reduction 'sum').
 *
 * label is not reshaped: pred (or its log_softmax) and label broadcast against each
 * other, and the loss takes the broadcast shape. Without a broadcast the loop walks both
 * directly; otherwise they are materialised in the loss shape and the gradients summed
 * back. label is differentiated too: `(log(label + 1e-12) - logp) + label / (label + 1e-12)`.
 * Each step is rounded to float32 where MXNet materialises it, and the label's gradient
 * is MXNet's chain `G * diff + (G * label) * (1 / (label + 1e-12))`, so that Inf and NaN
 * come out where MXNet's do (at label = Inf: Inf * 0 = NaN).
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { TsCompiledLoss } from '../compiled-loss.js';
import { logSoftmax, logSoftmaxBackward, softmaxLayout } from '../log-softmax.js';
import { Float32Scratch, Float64Scratch } from '../scratch.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

/** MXNet's `1e-12` inside the log of the label, a float32 scalar there. */
const EPS = Math.fround(1e-12);

/** What the loop reads and writes; the gradient buffers are null in forward. */
interface KlBuffers {
  /** log-probabilities and label in the loss shape. */
  readonly logp: Float32Array;
  readonly label: Float32Array;
  readonly walk: FusedWalk;
  readonly accumulators: Float64Array;
  /** G per group; null in forward, where no gradient is written. */
  readonly lossGrad: Float64Array | null;
  readonly gLogp: Float64Array | null;
  readonly gLabel: Float64Array | null;
  /** d(output)/d(sample_weight) per element; null in forward and without a sample_weight. */
  readonly weightGrad: Float32Array | null;
  /**
   * label broadcasts into the loss shape: gLabel gets only the product's own part
   * `G * diff`; the log's part is summed over the broadcast first (see runForwardBackward).
   */
  readonly labelBroadcast: boolean;
}

function klLoop({
  logp,
  label,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  gLogp,
  gLabel,
  weightGrad,
  labelBroadcast,
}: KlBuffers): void {
  let group = 0;
  for (let start = 0; start < logp.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const z = label[e]!;
      const shifted = Math.fround(z + EPS);
      const diff = Math.fround(Math.fround(Math.log(shifted)) - logp[e]!);
      const loss = Math.fround(z * diff);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (gLogp !== null && gLabel !== null) {
        const gw = Math.fround(g * w);
        const gDiff = Math.fround(gw * z);
        gLogp[e] = -gDiff;
        const own = Math.fround(gw * diff);
        gLabel[e] = labelBroadcast ? own : Math.fround(own + Math.fround(gDiff * Math.fround(1 / shifted)));
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

interface Operands {
  /** log-probabilities in pred's own shape. */
  readonly ownLogp: Float32Array;
  /** log-probabilities and label in the loss shape. */
  readonly logp: Float32Array;
  readonly label: Float32Array;
  /** How pred and label broadcast into the loss shape; null for the one that has it. */
  readonly predMap: BroadcastMap | null;
  readonly labelMap: BroadcastMap | null;
}

export class KLDivLoss extends TsCompiledLoss<'KLDivLoss'> {
  readonly #ownLogp = new Float32Scratch();
  readonly #logp = new Float32Scratch();
  readonly #label = new Float32Scratch();
  readonly #gLogp = new Float64Scratch();
  readonly #gLabel = new Float64Scratch();
  readonly #gOwnLogp = new Float64Scratch();
  readonly #labelOwn = new Float64Scratch();
  readonly #labelViaLog = new Float64Scratch();

  constructor(config: unknown) {
    super('KLDivLoss', config);
  }

  #operands(plan: CallPlan<'KLDivLoss'>): Operands {
    const pred = this.floatInput(plan, 'pred');
    const predShape = plan.tensors.pred!.shape;
    let ownLogp = pred;
    if (!plan.detail.fromLogits) {
      ownLogp = this.#ownLogp.take(pred.length);
      logSoftmax(pred, softmaxLayout(predShape, plan.detail.axis), ownLogp);
    }
    const lossShape = plan.lossShape;
    const size = sizeOf(lossShape);
    let logp = ownLogp;
    let predMap: BroadcastMap | null = null;
    if (!sameShape(predShape, lossShape)) {
      predMap = broadcastMap(predShape, lossShape);
      logp = gatherBroadcast(ownLogp, predMap, this.#logp.take(size));
    }
    let label = this.floatInput(plan, 'label');
    let labelMap: BroadcastMap | null = null;
    const labelShape = plan.tensors.label!.shape;
    if (!sameShape(labelShape, lossShape)) {
      labelMap = broadcastMap(labelShape, lossShape);
      label = gatherBroadcast(label, labelMap, this.#label.take(size));
    }
    return { ownLogp, logp, label, predMap, labelMap };
  }

  protected runForward(plan: CallPlan<'KLDivLoss'>): ForwardResult {
    return { loss: this.#loss(plan, false) };
  }

  /** The forward loss; again in the per-element layout where the fused sums came near float32's max. */
  #loss(plan: CallPlan<'KLDivLoss'>, perElement: boolean): FloatTensor {
    const { logp, label } = this.#operands(plan);
    const weighting = this.weighting.begin(plan, perElement);
    const acc = weighting.accumulators();
    klLoop({
      logp,
      label,
      walk: weighting,
      accumulators: acc,
      lossGrad: null,
      gLogp: null,
      gLabel: null,
      weightGrad: null,
      labelBroadcast: false,
    });
    return weighting.outputKahanExact(acc, () => this.#loss(plan, true));
  }

  protected runForwardBackward(plan: CallPlan<'KLDivLoss'>, headGrad: FloatTensor): ForwardBackwardResult {
    const { ownLogp, logp, label, predMap, labelMap } = this.#operands(plan);
    const weighting = this.weighting.begin(plan);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const acc = weighting.accumulators();
    const size = logp.length;
    const gLogp = this.#gLogp.take(size);
    const gLabel = this.#gLabel.take(size);
    const weightGrad = weighting.weightGradTarget();
    klLoop({
      logp,
      label,
      walk: weighting,
      accumulators: acc,
      lossGrad,
      gLogp,
      gLabel,
      weightGrad,
      labelBroadcast: labelMap !== null,
    });

    // Back to pred's shape, then through log_softmax when MXNet applied it.
    let gOwnLogp = gLogp;
    if (predMap !== null) {
      gOwnLogp = this.#gOwnLogp.take(ownLogp.length);
      sumToSource(gLogp, predMap, gOwnLogp);
    }
    const predGrad = new Float32Array(ownLogp.length);
    if (plan.detail.fromLogits) {
      predGrad.set(gOwnLogp);
    } else {
      logSoftmaxBackward(ownLogp, gOwnLogp, softmaxLayout(plan.tensors.pred!.shape, plan.detail.axis), predGrad);
    }
    const labelGrad = new Float32Array(plan.tensors.label!.data.length);
    if (labelMap === null) {
      labelGrad.set(gLabel);
    } else {
      // MXNet's chain with a broadcast label: the product's part `G * diff` and the log's
      // incoming gradient `G * label` are each summed (float32) over the broadcast axes,
      // and only then is the latter multiplied by log's `1 / (label + 1e-12)`: a sum of
      // large `G * label` overflows to Inf where the per-element quotients would not.
      const own = this.#labelOwn.take(labelGrad.length);
      const viaLog = this.#labelViaLog.take(labelGrad.length);
      sumToSource(gLabel, labelMap, own);
      sumToSource(gLogp, labelMap, viaLog); // gLogp = -G * label
      const labelData = this.floatInput(plan, 'label');
      for (let i = 0; i < labelGrad.length; i++) {
        const inverse = Math.fround(1 / Math.fround(labelData[i]! + EPS));
        labelGrad[i] = Math.fround(own[i]! + Math.fround(-viaLog[i]! * inverse));
      }
    }
    const grads = {
      pred: predGrad,
      label: labelGrad,
      sample_weight: weighting.sampleWeightGrad(acc, headGrad.data, weightGrad),
    };
    return this.result(
      plan,
      weighting.outputKahanExact(acc, () => this.#loss(plan, true)),
      grads,
    );
  }

  protected override releaseScratch(): void {
    for (const s of [
      this.#ownLogp,
      this.#logp,
      this.#label,
      this.#gLogp,
      this.#gLabel,
      this.#gOwnLogp,
      this.#labelOwn,
      this.#labelViaLog,
    ]) {
      s.release();
    }
  }
}
