/**
 * CTCLoss, as MXNet 1.9.1's CTCLoss operator computes it on the CPU (its bundled
 * warp-ctc): blank is the last channel; the loss of sample b is `-log p(label | pred)`
 * over its first `pred_lengths[b]` steps; the gradient is with respect to the
 * pre-softmax activations, `softmax - posterior`, times the incoming G.
 *
 * The recursions reproduce that implementation's arithmetic, not just its maths, because
 * the goldens pin its corner cases:
 * - everything is float32: the log-softmax (float32 sum of exps), the log-space alpha and
 *   beta, and `logPlus`; each step is rounded with Math.fround as the float code rounds;
 * - alpha and beta are only computed inside a window of states that can still be reached
 *   from the start and can still reach the end, the window following warp-ctc's
 *   `s_inc`/`e_inc` steps; beta lives in one column updated in place;
 * - a skip transition (two states ahead) is allowed from a non-blank state whose label
 *   differs from the one two states on. Alpha tests the label of the state it enters and
 *   beta the state it leaves; these only differ when a label equals the blank index
 *   (MXNet accepts that, and the asymmetry shows in its gradient);
 * - a channel whose summed alpha*beta is exactly 0.0 (log space) or -inf gets gradient
 *   `softmax` alone;
 * - a sample whose label cannot fit (`L + repeats > T`) gets loss 0; MXNet leaves its
 *   gradient unwritten (undefined), and this backend returns 0 there;
 * - steps at or past `pred_lengths[b]` get gradient 0.
 */
import {
  ctcSamples,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type LossDetail,
} from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { Float32Scratch, Int32Scratch } from '../scratch.js';

const f32 = Math.fround;

/**
 * log(exp(a) + exp(b)) of two float32 values, as warp-ctc's log_plus evaluates it: the
 * difference in float32, then exp and log1p in double (its unqualified C calls take
 * doubles), one rounding to float32 at the end. The rounding matters: it decides when a
 * sum comes out as exactly 0.0, which the gradient tests.
 */
function logPlus(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return f32(Math.log1p(Math.exp(-Math.abs(f32(a - b)))) + (a > b ? a : b));
}

type CtcDims = LossDetail<'CTCLoss'>;

/** Buffers for one sample, sized for the largest sample of the call. */
interface Workspace {
  readonly logp: Float32Array;
  readonly labels: Int32Array;
  /** The label sequence with blanks around and between: length S = 2L + 1. */
  readonly extended: Int32Array;
  readonly startStep: Int32Array;
  readonly endStep: Int32Array;
  readonly alpha: Float32Array;
  readonly beta: Float32Array;
  readonly output: Float32Array;
}

/**
 * The gradient of one step: `softmax - exp(output - logp - logLikelihood)`, where
 * `output[k]` is log(sum of alpha*beta over the states of channel k); just `softmax`
 * where that sum is exactly 0.0 or -inf (warp-ctc's test) or logp is -inf.
 */
function writeStepGrad(
  logp: Float32Array,
  output: Float32Array,
  c: number,
  t: number,
  logLikelihood: number,
  grad: Float32Array,
  at: number,
): void {
  for (let k = 0; k < c; k++) {
    const lp = logp[t * c + k]!;
    const o = output[k]!;
    const softmax = f32(Math.exp(lp));
    grad[at + k] =
      o === 0 || o === -Infinity || lp === -Infinity
        ? softmax
        : f32(softmax - f32(Math.exp(f32(f32(o - lp) - logLikelihood))));
  }
}

/**
 * One sample: reads its activations, writes its loss and (when `grad` is given) its
 * gradient, unscaled, into `grad` at the sample's positions (the caller zeroed it).
 */
function ctcSample(
  pred: Float32Array,
  dims: CtcDims,
  b: number,
  steps: number,
  labelCount: number,
  ws: Workspace,
  grad: Float32Array | null,
): number {
  const { n, c } = dims;
  const blank = c - 1;
  const timeStride = dims.timeMajor ? n * c : c;
  const offset = dims.timeMajor ? b * c : b * dims.t * c;
  const labels = ws.labels;

  let repeats = 0;
  for (let i = 1; i < labelCount; i++) if (labels[i - 1] === labels[i]) repeats++;
  if (labelCount + repeats > steps) return 0;
  // MXNet reads no activations at all for a zero-length sequence; its log-likelihood
  // stays -inf (and the gradient is masked to 0 by pred_lengths).
  if (steps === 0) return Infinity;

  // Float32 log-softmax over the channels of every step.
  const logp = ws.logp;
  for (let t = 0; t < steps; t++) {
    const at = offset + t * timeStride;
    let max = -Infinity;
    for (let k = 0; k < c; k++) if (pred[at + k]! > max) max = pred[at + k]!;
    let denom = 0;
    for (let k = 0; k < c; k++) denom = f32(denom + f32(Math.exp(f32(pred[at + k]! - max))));
    const logDenom = f32(Math.log(denom));
    for (let k = 0; k < c; k++) logp[t * c + k] = f32(f32(pred[at + k]! - max) - logDenom);
  }

  const states = 2 * labelCount + 1;
  const minSteps = labelCount + repeats;
  const extended = ws.extended;
  for (let i = 0; i < labelCount; i++) {
    extended[2 * i] = blank;
    extended[2 * i + 1] = labels[i]!;
  }
  extended[states - 1] = blank;
  // How far the window's start and end move per step: a repeated label needs a blank
  // between its copies, so it advances one state at a time.
  const startStep = ws.startStep;
  const endStep = ws.endStep;
  let sCount = 0;
  let eCount = 0;
  startStep[sCount++] = 1;
  for (let i = 1; i < labelCount; i++) {
    if (labels[i - 1] === labels[i]) {
      startStep[sCount++] = 1;
      startStep[sCount++] = 1;
      endStep[eCount++] = 1;
      endStep[eCount++] = 1;
    } else {
      startStep[sCount++] = 2;
      endStep[eCount++] = 2;
    }
  }
  endStep[eCount] = 1;

  // Forward (alpha), column t at alpha[t * states].
  const alpha = ws.alpha;
  alpha.fill(-Infinity, 0, states * steps);
  let start = minSteps - steps < 0 ? 0 : 1;
  let end = states > 1 ? 2 : 1;
  for (let i = start; i < end; i++) alpha[i] = logp[extended[i]!]!;
  for (let t = 1; t < steps; t++) {
    const remain = minSteps - (steps - t);
    if (remain >= 0) start += startStep[remain]!;
    if (t <= minSteps) end += endStep[t - 1]!;
    const column = t * states;
    const previous = column - states;
    let first = start;
    if (start === 0) {
      alpha[column] = f32(alpha[previous]! + logp[t * c + blank]!);
      first = 1;
    }
    for (let i = first; i < end; i++) {
      let sum = logPlus(alpha[previous + i]!, alpha[previous + i - 1]!);
      const label = extended[i]!;
      if (label !== blank && i !== 1 && label !== extended[i - 2]) sum = logPlus(sum, alpha[previous + i - 2]!);
      alpha[column + i] = f32(sum + logp[t * c + label]!);
    }
  }
  let logLikelihood = -Infinity;
  for (let i = start; i < end; i++) logLikelihood = logPlus(logLikelihood, alpha[(steps - 1) * states + i]!);
  if (grad === null) return -logLikelihood;

  // Backward (beta, one column updated in place), accumulating alpha*beta per channel.
  const beta = ws.beta;
  const output = ws.output;
  beta.fill(-Infinity, 0, states);
  start = states > 1 ? states - 2 : 0;
  end = steps > minSteps ? states : states - 1;
  output.fill(-Infinity);
  let column = (steps - 1) * states;
  for (let i = start; i < end; i++) {
    const label = extended[i]!;
    beta[i] = logp[(steps - 1) * c + label]!;
    alpha[column + i] = f32(alpha[column + i]! + beta[i]!);
    output[label] = logPlus(alpha[column + i]!, output[label]!);
  }
  writeStepGrad(logp, output, c, steps - 1, logLikelihood, grad, offset + (steps - 1) * timeStride);
  for (let t = steps - 2; t >= 0; t--) {
    const remain = minSteps - (steps - t);
    if (remain >= -1) start -= startStep[remain + 1]!;
    if (t < minSteps) end -= endStep[t]!;
    const last = end === states ? end - 1 : end;
    column = t * states;
    output.fill(-Infinity);
    for (let i = start; i < last; i++) {
      let sum = logPlus(beta[i]!, beta[i + 1]!);
      const label = extended[i]!;
      if (label !== blank && i !== states - 2 && label !== extended[i + 2]) sum = logPlus(sum, beta[i + 2]!);
      beta[i] = f32(sum + logp[t * c + label]!);
      alpha[column + i] = f32(alpha[column + i]! + beta[i]!);
      output[label] = logPlus(alpha[column + i]!, output[label]!);
    }
    if (end === states) {
      beta[states - 1] = f32(beta[states - 1]! + logp[t * c + blank]!);
      alpha[column + states - 1] = f32(alpha[column + states - 1]! + beta[states - 1]!);
      output[blank] = logPlus(alpha[column + states - 1]!, output[blank]!);
    }
    writeStepGrad(logp, output, c, t, logLikelihood, grad, offset + t * timeStride);
  }
  return -logLikelihood;
}

export class CTCLoss extends TsCompiledLoss<'CTCLoss'> {
  readonly #logp = new Float32Scratch();
  readonly #labels = new Int32Scratch();
  readonly #extended = new Int32Scratch();
  readonly #startStep = new Int32Scratch();
  readonly #endStep = new Int32Scratch();
  readonly #alpha = new Float32Scratch();
  readonly #beta = new Float32Scratch();
  readonly #output = new Float32Scratch();

  constructor(config: unknown) {
    super('CTCLoss', config);
  }

  /** Every sample's loss into `loss`; with `grad`, the unscaled gradients too. */
  #run(plan: CallPlan<'CTCLoss'>, loss: Float64Array, grad: Float32Array | null): void {
    const dims = plan.detail;
    const { n, t, c, labelLength } = dims;
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const predLengths = plan.tensors.pred_lengths === undefined ? null : this.floatInput(plan, 'pred_lengths');
    const labelLengths = plan.tensors.label_lengths === undefined ? null : this.floatInput(plan, 'label_lengths');
    const maxStates = 2 * labelLength + 1;
    const ws: Workspace = {
      logp: this.#logp.take(t * c),
      labels: this.#labels.take(Math.max(labelLength, 1)),
      extended: this.#extended.take(maxStates),
      startStep: this.#startStep.take(maxStates),
      endStep: this.#endStep.take(maxStates),
      alpha: this.#alpha.take(maxStates * t),
      beta: this.#beta.take(maxStates),
      output: this.#output.take(c),
    };
    // Label rows and lengths as MXNet reads them (rounded, -1 padding): the spec's rule.
    const samples = ctcSamples(dims, label, predLengths ?? undefined, labelLengths ?? undefined);
    for (let b = 0; b < n; b++) {
      const { labels, steps, gradientSteps } = samples[b]!;
      ws.labels.set(labels);
      loss[b] = ctcSample(pred, dims, b, steps, labels.length, ws, grad);
      // MXNet zeroes the gradient from the length cast toward zero (6.5 runs 7 steps, keeps 6).
      for (let step = gradientSteps; grad !== null && step < steps; step++) {
        const at = dims.timeMajor ? (step * n + b) * c : (b * t + step) * c;
        grad.fill(0, at, at + c);
      }
    }
  }

  protected runForward(plan: CallPlan<'CTCLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    this.#run(plan, loss, null);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(plan: CallPlan<'CTCLoss'>, headGrad: FloatTensor): ForwardBackwardResult {
    const { n, t, c, timeMajor } = plan.detail;
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const grad = new Float32Array(n * t * c);
    this.#run(plan, loss, grad);
    // Scale each sample's gradient by its G (steps never written stay 0).
    for (let step = 0; step < t; step++) {
      for (let b = 0; b < n; b++) {
        const g = lossGrad[b]!;
        const at = timeMajor ? (step * n + b) * c : (b * t + step) * c;
        for (let k = 0; k < c; k++) grad[at + k] = grad[at + k]! * g;
      }
    }
    return this.result(plan, weighting.output(loss), {
      pred: grad,
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }

  protected override releaseScratch(): void {
    for (const s of [
      this.#logp,
      this.#labels,
      this.#extended,
      this.#startStep,
      this.#endStep,
      this.#alpha,
      this.#beta,
      this.#output,
    ]) {
      s.release();
    }
  }
}
