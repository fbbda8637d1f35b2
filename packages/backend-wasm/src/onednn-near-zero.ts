/**
 * A gap of this backend's log_softmax on oneDNN's path (SoftmaxCrossEntropyLoss and
 * KLDivLoss, not from_logits, the last axis of a rank 1-4 pred: the spec's
 * usesOneDnnLogSoftmax): MXNet's log-probabilities there come from oneDNN's vectorised exp
 * and log (spec rules/log-softmax-float32.ts), which differ from the math by up to about
 * 1.3e-5 (its log(1) is -1.43e-6, so a one-entry row, or a max whose neighbours' exps
 * underflow, has logp 1.43e-6, not 0). That is rounding, within every tolerance, except
 * under an infinite weight (sample_weight or the scalar weight): a loss element that is 0
 * to within that rounding becomes -Inf, +Inf or NaN (0 * Inf) by oneDNN's last bits. Such
 * a call is refused (the router runs it on backend-ts, which models oneDNN's kernel); a
 * loss element clear of 0 keeps its sign and is computed here. The same holds for an
 * infinite dense label (SoftmaxCrossEntropyLoss) beside a log-probability near 0: their
 * product is ±Inf in MXNet, NaN (Inf * 0) in the math. (An infinite head gradient meets
 * the same in the label's gradient; the plan does not carry it, so that is not refused.)
 */
import type { CallPlan, Support } from '@gluon-loss/spec';
import { usesOneDnnLogSoftmax } from '@gluon-loss/spec';
import { axisLayout } from './layout.js';

/** oneDNN's log-probabilities from the math's: their difference, plus float32 rounding relative to |logp|. */
const ONEDNN_LOG_ERROR = 2e-5;
const FLOAT32_RELATIVE = 2 ** -22;

export function hasInfiniteWeight(plan: CallPlan): boolean {
  if (Math.abs(plan.appliedWeight ?? 1) === Infinity) return true;
  const data = plan.tensors.sample_weight?.data;
  if (data === undefined) return false;
  for (let i = 0; i < data.length; i++) if (Math.abs(data[i]!) === Infinity) return true;
  return false;
}

/**
 * Whether the call runs MXNet's oneDNN log_softmax under an infinite weight: then the
 * caller checks its loss elements with `nearZero`.
 */
export function oneDnnUnderInfiniteWeight(plan: CallPlan<'SoftmaxCrossEntropyLoss'> | CallPlan<'KLDivLoss'>): boolean {
  return onOneDnnPath(plan) && hasInfiniteWeight(plan);
}

/** MXNet's log_softmax of this call is oneDNN's (see the module comment). */
export function onOneDnnPath(plan: CallPlan<'SoftmaxCrossEntropyLoss'> | CallPlan<'KLDivLoss'>): boolean {
  const { fromLogits, axis } = plan.detail;
  return !fromLogits && usesOneDnnLogSoftmax(plan.tensors.pred!.shape.length, axis);
}

/** Refused when an infinite label `z` meets a log-probability within oneDNN's rounding of 0. */
export function infiniteLabelNearZero(z: number, logp: number, index: number): Support {
  if (Math.abs(z) !== Infinity || Math.abs(logp) >= roundingOf(1, logp)) return { supported: true };
  return {
    supported: false,
    reason:
      `label[${index}] is ${z} beside a log-probability of ${logp.toPrecision(3)}: MXNet 1.9.1's log_softmax here is ` +
      "oneDNN's, whose log(1) is -1.43e-6, so the product is ±Infinity where the math's 0 gives NaN " +
      "(spec rules/log-softmax-float32.ts): this backend's log_softmax gives the math",
  };
}

/** log_softmax of pred along `axis` in float64 (the math), as float32. */
export function mathLogSoftmax(pred: Float32Array, shape: readonly number[], axis: number): Float32Array {
  const { outer, classes, inner } = axisLayout(shape, axis);
  const out = new Float32Array(pred.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, pred[base + c * inner]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(pred[base + c * inner]! - max);
      const logSum = Math.log(sum);
      for (let c = 0; c < classes; c++) out[base + c * inner] = pred[base + c * inner]! - max - logSum;
    }
  }
  return out;
}

/** The bound on how far oneDNN's rounding moves `z * logp`. */
export function roundingOf(z: number, logp: number): number {
  return Math.abs(z) * (ONEDNN_LOG_ERROR + FLOAT32_RELATIVE * Math.abs(logp));
}

/**
 * Refused when a finite loss element lies within `bound` of 0 (its class under the
 * infinite weight is oneDNN's rounding); `index` names it.
 */
export function nearZero(loss: number, bound: number, index: number): Support {
  if (!Number.isFinite(loss) || Math.abs(loss) >= bound) return { supported: true };
  return {
    supported: false,
    reason:
      `loss element ${index} is ${loss.toPrecision(3)} under an infinite weight: MXNet 1.9.1's log_softmax here is ` +
      "oneDNN's, whose exp and log move it by up to ~1.3e-5 (log(1) = -1.43e-6), so its sign, and the weighted " +
      "loss's class (-Inf, +Inf or NaN), is oneDNN's rounding (spec rules/log-softmax-float32.ts): this backend's log_softmax gives the math",
  };
}
