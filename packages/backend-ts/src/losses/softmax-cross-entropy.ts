/**
 * SoftmaxCrossEntropyLoss (alias SoftmaxCELoss): `-pick(log_softmax(pred, axis), label)`
 * (sparse) or `-sum(log_softmax(pred, axis) * label, axis)` (dense), keeping the class
 * axis as size 1. With from_logits, pred already is the log-probability.
 *
 * pred is viewed as `outer x classes x inner` around the class axis (stride `inner`), so
 * any axis works; each (outer, inner) position is one loss element. The operators run as
 * MXNet's float32 graph runs them, so that Inf and NaN land where MXNet's do: log_softmax
 * is materialised in float32 on MXNet's path (oneDNN's kernel on the last axis of rank
 * 1-4, MXNet's loop elsewhere: log-softmax.ts), the dense product `logp * label` is a
 * float32 tensor summed as mshadow sums (Inf for good once it overflows), and the backward
 * is the operators' own: `dlogp = -G * label` (dense) or `-G` at the picked class
 * (sparse), `dlabel = -G * logp`, then log_softmax's backward from its float32 output.
 *
 * A sparse label is a float; the class it picks is the spec's `pickIndex` (MXNet's cast
 * toward zero, INT_MIN for what int32 cannot hold, then the clip).
 */
import {
  pickIndex,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { logSoftmax, logSoftmaxBackward, softmaxLayout, type SoftmaxLayout } from '../log-softmax.js';
import { addFloat32 } from '../mxnet-ops.js';
import { Float32Scratch } from '../scratch.js';

/** The loss per element from the log-probabilities: `-pick(logp, label)` or `-sum(logp * label)`. */
function lossFromLogp(
  logp: Float32Array,
  label: Float32Array,
  sparseLabel: boolean,
  { outer, classes, inner }: SoftmaxLayout,
  loss: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      const element = o * inner + i;
      if (sparseLabel) {
        loss[element] = -logp[base + pickIndex(label[element]!, classes) * inner]!;
        continue;
      }
      let dot = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) dot = addFloat32(dot, Math.fround(logp[k]! * label[k]!));
      loss[element] = -dot;
    }
  }
}

/**
 * The gradients of the loss elements (G) with respect to logp (written into `gLogp`, a
 * cleared buffer) and, dense, to label.
 */
function gradientsOfLogp(
  logp: Float32Array,
  label: Float32Array,
  sparseLabel: boolean,
  { outer, classes, inner }: SoftmaxLayout,
  lossGrad: Float64Array,
  gLogp: Float32Array,
  gLabel: Float32Array | undefined,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      const element = o * inner + i;
      const g = lossGrad[element]!;
      if (sparseLabel) {
        gLogp[base + pickIndex(label[element]!, classes) * inner] = -g;
        continue;
      }
      for (let c = 0, k = base; c < classes; c++, k += inner) {
        gLogp[k] = -g * label[k]!;
        gLabel![k] = -g * logp[k]!;
      }
    }
  }
}

export class SoftmaxCrossEntropyLoss extends TsCompiledLoss<'SoftmaxCrossEntropyLoss'> {
  readonly #logpScratch = new Float32Scratch();

  constructor(config: unknown) {
    super('SoftmaxCrossEntropyLoss', config);
  }

  /** log_softmax(pred) as MXNet materialises it, or pred itself with from_logits. */
  #logp(plan: CallPlan<'SoftmaxCrossEntropyLoss'>, x: Float32Array, layout: SoftmaxLayout): Float32Array {
    if (plan.detail.fromLogits) return x;
    const logp = this.#logpScratch.take(x.length);
    logSoftmax(x, layout, logp);
    return logp;
  }

  protected runForward(plan: CallPlan<'SoftmaxCrossEntropyLoss'>): ForwardResult {
    const x = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const layout = softmaxLayout(plan.tensors.pred!.shape, plan.detail.axis);
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    lossFromLogp(this.#logp(plan, x, layout), label, plan.detail.sparseLabel, layout, loss);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(
    plan: CallPlan<'SoftmaxCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const x = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const { sparseLabel, fromLogits } = plan.detail;
    const layout = softmaxLayout(plan.tensors.pred!.shape, plan.detail.axis);
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const logp = this.#logp(plan, x, layout);
    lossFromLogp(logp, label, sparseLabel, layout, loss);
    // With from_logits the gradient of logp is pred's; otherwise it goes through log_softmax.
    const gLogp = new Float32Array(x.length);
    const gLabel = sparseLabel ? undefined : new Float32Array(x.length);
    gradientsOfLogp(logp, label, sparseLabel, layout, lossGrad, gLogp, gLabel);
    let gx = gLogp;
    if (!fromLogits) {
      gx = new Float32Array(x.length);
      logSoftmaxBackward(logp, gLogp, layout, gx);
    }
    return this.result(plan, weighting.output(loss), {
      pred: gx,
      label: gLabel,
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }

  protected override releaseScratch(): void {
    this.#logpScratch.release();
  }
}
