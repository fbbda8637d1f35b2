import * as tf from '@tensorflow/tfjs';
import { ctcNanGradient, ctcSamples } from '@gluon-loss/spec';
import type { LossCall } from '../loss-call.js';
import { logSoftmaxValue } from '../ops/log-softmax.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

/**
 * log(0) in the recursions. Finite so that `LOG_ZERO - LOG_ZERO` is 0, not NaN, and so
 * that no backend has to carry infinities through its kernels (WebGL shaders do not
 * reliably); sums of a few of them stay far below every real log-probability and far
 * above float32's range limit.
 */
const LOG_ZERO = -1e30;
/** A log-likelihood below this is a sum of LOG_ZEROs: no path reaches the end. */
const NO_PATH = LOG_ZERO / 2;

/**
 * MXNet 1.9.1's CTCLoss (its warp-ctc based operator with `blank_label='last'`), with
 * tfjs ops so that it runs on every tfjs backend: the forward (alpha) recursion over
 * time in log space, batched over samples and the states of the blank-extended label;
 * the backward (beta) recursion runs only when a gradient is asked for, inside a
 * customGrad whose gradient is MXNet's `softmax - posterior` w.r.t. the activations.
 *
 * MXNet's rules, all decided in JS from the labels and lengths before any tensor exists:
 * - the blank is channel C-1; a label row ends at its first -1, or after label_lengths;
 * - alpha may enter a state from two states back (skipping a blank) unless the state is
 *   a blank, the first label, or repeats the label two states back. beta may leave a
 *   state for the one two ahead unless the *leaving* state is a blank or the last label,
 *   or equals the label two ahead. Both compare channels with the blank index, so the
 *   two rules disagree for a label equal to the blank index (MXNet accepts one): the
 *   posteriors then no longer sum to 1, and MXNet's gradient shows it (pinned by the
 *   goldens), so the recursions keep the two rules apart;
 * - a sample with `labels + repeats > pred_length` cannot fit: loss 0 (warp-ctc returns
 *   before computing), and our gradient there is 0 (MXNet's is never written);
 * - a sample that fits that count but has no path (a blank-valued label, or a zero
 *   pred_length with an empty label) has loss +inf, as in MXNet;
 * - past pred_length the gradient is 0.
 */
export function ctcLoss(call: LossCall<'CTCLoss'>): tf.Tensor {
  const alignment = prepareAlignment(call);
  const pred = call.input('pred');
  // The recursions step through time, so they work time-major: (T, N, C).
  const activations = call.detail.timeMajor ? pred : tf.transpose(pred, [1, 0, 2]);
  return negativeLogLikelihood(alignment, new StateShifts(call, alignment.states))(activations);
}

/** Everything the recursions need that follows from labels and lengths, as flat arrays. */
interface Alignment {
  readonly samples: number;
  readonly steps: number;
  readonly channels: number;
  /** States of the blank-extended label: 2 * label width + 1. */
  readonly states: number;
  /** (N*S) index into a (N*C) row: sample * C + the state's channel. */
  readonly gatherIndex: Int32Array;
  /** (N, S, 2): [sample, the state's channel], where a state's posterior adds up. */
  readonly scatterIndex: Int32Array;
  /** (N, S): 0 for the sample's own states, LOG_ZERO for padding states past them. */
  readonly stateOpen: Float32Array;
  /** (N, S): 0 where alpha may enter a state from two states back. */
  readonly skipInto: Float32Array;
  /** (N, S): 0 where beta may leave a state for the state two ahead (warp-ctc's own rule). */
  readonly skipOut: Float32Array;
  /** (N, S): 0 at the states a path may start in (the first blank and the first label). */
  readonly start: Float32Array;
  /** (N, S): 0 at the states a path may end in (the last label and the last blank). */
  readonly end: Float32Array;
  /** (T, N): 0 while t < pred_length, LOG_ZERO after. */
  readonly timeOpen: Float32Array;
  /** (T, N): 0 at t == pred_length - 1, LOG_ZERO elsewhere. */
  readonly lastStep: Float32Array;
  /** (T, N): 1 while t < pred_length. */
  readonly timeValid: Float32Array;
  /** (T, N): 1 while t < pred_length cast toward zero, the steps whose gradient MXNet keeps. */
  readonly gradientValid: Float32Array;
  /** (N): 1 where warp-ctc computes the sample at all (labels + repeats <= pred_length). */
  readonly fits: Float32Array;
  /** (T, N, 1): 1 where MXNet reads the activations (t < pred_length of a sample that fits). */
  readonly read: Float32Array;
  /**
   * The NaN MXNet's float32 recursion spreads from a NaN softmax (the spec's
   * `ctcNanGradient`), time-major: (N) for the loss, (T, N, C) for the gradient; null when
   * the call has none.
   */
  readonly nan: { readonly loss: Uint8Array; readonly grad: Uint8Array } | null;
}

function prepareAlignment(call: LossCall<'CTCLoss'>): Alignment {
  const dims = call.detail;
  const { n, t, c, labelLength } = dims;

  const labels = call.data('label');
  const labelLengths = call.has('label_lengths') ? call.data('label_lengths') : undefined;
  const predLengths = call.has('pred_lengths') ? call.data('pred_lengths') : undefined;
  const blank = c - 1;
  const s = 2 * labelLength + 1;
  const a = {
    samples: n,
    steps: t,
    channels: c,
    states: s,
    gatherIndex: new Int32Array(n * s),
    scatterIndex: new Int32Array(n * s * 2),
    stateOpen: new Float32Array(n * s).fill(LOG_ZERO),
    skipInto: new Float32Array(n * s).fill(LOG_ZERO),
    skipOut: new Float32Array(n * s).fill(LOG_ZERO),
    start: new Float32Array(n * s).fill(LOG_ZERO),
    end: new Float32Array(n * s).fill(LOG_ZERO),
    timeOpen: new Float32Array(t * n).fill(LOG_ZERO),
    lastStep: new Float32Array(t * n).fill(LOG_ZERO),
    timeValid: new Float32Array(t * n),
    gradientValid: new Float32Array(t * n),
    fits: new Float32Array(n),
    read: new Float32Array(t * n),
    nan: null as Alignment['nan'],
  };
  // Label rows and lengths as MXNet reads them (rounded, -1 padding): the spec's rule.
  const samples = ctcSamples(dims, labels, predLengths, labelLengths);
  const nan = ctcNanGradient(dims, call.data('pred') as Float32Array, samples);
  if (nan !== null) {
    // Into the time-major layout the recursions use.
    const grad = dims.timeMajor ? nan.grad : new Uint8Array(nan.grad.length);
    if (!dims.timeMajor) {
      for (let i = 0; i < n; i++)
        for (let step = 0; step < t; step++)
          grad.set(nan.grad.subarray((i * t + step) * c, (i * t + step + 1) * c), (step * n + i) * c);
    }
    a.nan = { loss: nan.loss, grad };
  }
  for (let i = 0; i < n; i++) {
    const { labels: row, steps: length, gradientSteps, fits } = samples[i]!;
    for (let step = 0; step < Math.min(gradientSteps, length); step++) a.gradientValid[step * n + i] = 1;
    a.fits[i] = fits ? 1 : 0;
    const used = 2 * row.length + 1;
    for (let st = 0; st < s; st++) {
      const k = i * s + st;
      const isLabel = st % 2 === 1 && st < used;
      const channel = isLabel ? row[(st - 1) / 2]! : blank;
      a.gatherIndex[k] = i * c + channel;
      a.scatterIndex[2 * k] = i;
      a.scatterIndex[2 * k + 1] = channel;
      if (st < used) a.stateOpen[k] = 0;
      if (isLabel && st >= 3 && channel !== blank && channel !== row[(st - 3) / 2]) a.skipInto[k] = 0;
      if (isLabel && st + 2 < used && channel !== blank && channel !== row[(st + 1) / 2]) a.skipOut[k] = 0;
      if (st < Math.min(2, used)) a.start[k] = 0;
      if (st === used - 1 || st === used - 2) a.end[k] = 0;
    }
    for (let step = 0; step < length; step++) {
      a.timeOpen[step * n + i] = 0;
      a.timeValid[step * n + i] = 1;
      if (fits) a.read[step * n + i] = 1;
    }
    if (length > 0) a.lastStep[(length - 1) * n + i] = 0;
  }
  return a;
}

/** The customGrad op: (T, N, C) activations to the (N,) loss. */
function negativeLogLikelihood(a: Alignment, shifts: StateShifts): (activations: tf.Tensor) => tf.Tensor {
  const { samples: n, steps: t, channels: c, states: s } = a;
  const perSample = (values: Float32Array) => tf.tensor(values, [n, s]);
  return unaryCustomGrad((given, save) => {
    // Activations MXNet never reads (past pred_length, or of a sample that cannot fit)
    // must not change anything, whatever they hold: they are replaced by 0.
    const activations = tf.where(tf.cast(tf.tensor(a.read, [t, n, 1]), 'bool'), given, tf.zerosLike(given));
    const logProbabilities = logSoftmaxValue(activations, 2);
    // Emission log-probability of each state: a gather from the flattened (T, N*C) rows
    // (tfjs-wasm's gather with batchDims gives wrong rows), masked past each sample's
    // states and past its length.
    // A -inf log-probability (a masked logit) becomes LOG_ZERO, which the 0/1 matrix
    // products below can carry (-inf * 0 would be NaN); its paths carry no probability.
    const gathered = tf.maximum(
      tf.reshape(tf.gather(tf.reshape(logProbabilities, [t, n * c]), tf.tensor1d(a.gatherIndex, 'int32'), 1), [
        t,
        n,
        s,
      ]),
      LOG_ZERO,
    );
    const emissions = tf.add(
      tf.add(gathered, tf.reshape(perSample(a.stateOpen), [1, n, s])),
      tf.tensor(a.timeOpen, [t, n, 1]),
    );
    const emissionSteps = tf.unstack(emissions);
    const skipInto = perSample(a.skipInto);
    const alphas: tf.Tensor[] = [tf.add(emissionSteps[0]!, perSample(a.start))];
    for (let step = 1; step < t; step++) {
      const previous = alphas[step - 1]!;
      // skipInto is LOG_ZERO at the first three states, where nothing is two back.
      const fromTwoBack = tf.add(shifts.byTwo(previous, 'up'), skipInto);
      alphas.push(tf.add(logSumExp3(previous, shifts.byOne(previous, 'up'), fromTwoBack), emissionSteps[step]!));
    }
    const alpha = tf.stack(alphas);
    // The likelihood ends at t = pred_length - 1, in the last label or the last blank.
    const atEnd = tf.add(tf.add(alpha, tf.tensor(a.lastStep, [t, n, 1])), tf.reshape(perSample(a.end), [1, n, s]));
    const logLikelihood = tf.logSumExp(atEnd, [0, 2]);
    const fits = tf.tensor1d(a.fits);
    const hasPath = tf.greater(logLikelihood, NO_PATH);
    let loss = tf.where(
      tf.cast(fits, 'bool'),
      tf.where(hasPath, tf.neg(logLikelihood), tf.fill([n], Number.POSITIVE_INFINITY)),
      tf.zeros([n]),
    );
    const poisoned = a.nan === null ? null : tf.cast(tf.tensor1d(Float32Array.from(a.nan.loss)), 'bool');
    if (poisoned !== null) loss = tf.where(poisoned, tf.fill([n], Number.NaN), loss);
    // A poisoned sample's posterior is not used: its gradient is `softmax * G` but for the NaN.
    let usable = tf.mul(fits, tf.cast(hasPath, 'float32'));
    if (poisoned !== null) usable = tf.where(poisoned, tf.zerosLike(usable), usable);
    save([logProbabilities, emissions, alpha, logLikelihood, usable]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [logProbs, emissionAll, alphaAll, likelihood, usable] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const beta = betaRecursion(a, shifts, emissionAll);
        // Posterior of each state at each step; a sample without a usable likelihood
        // is zeroed by the mask, its likelihood replaced first so that exp stays finite.
        const validSteps = tf.tensor(a.timeValid, [t, n, 1]);
        // A where, not a product with the mask: a poisoned sample's alpha*beta holds NaN.
        const exponent = tf.sub(tf.add(alphaAll, beta), tf.reshape(tf.mul(likelihood, usable), [1, n, 1]));
        const occupancy = tf.where(
          tf.cast(tf.mul(tf.reshape(usable, [1, n, 1]), validSteps), 'bool'),
          tf.exp(exponent),
          tf.zerosLike(exponent),
        );
        // Sum the posteriors of the states that emit the same channel (blanks, repeated
        // labels): scatterND adds duplicate indices. (N, S, T) into (N, C, T).
        const byChannel = tf.scatterND(
          tf.tensor(a.scatterIndex, [n, s, 2], 'int32'),
          tf.transpose(occupancy, [1, 2, 0]),
          [n, c, t],
        );
        const posterior = tf.transpose(byChannel, [2, 0, 1]);
        const softmax = tf.mul(tf.exp(logProbs), validSteps);
        const scale = tf.reshape(tf.mul(dy, tf.tensor1d(a.fits)), [1, n, 1]);
        const kept = tf.tensor(a.gradientValid, [t, n, 1]);
        const grad = tf.where(tf.cast(kept, 'bool'), tf.mul(tf.sub(softmax, posterior), scale), tf.zeros([t, n, c]));
        if (a.nan === null) return grad;
        const nanAt = tf.cast(tf.tensor(Float32Array.from(a.nan.grad), [t, n, c]), 'bool');
        return tf.where(nanAt, tf.fill([t, n, c], Number.NaN), grad);
      },
    };
  });
}

/**
 * beta[t][s]: log-probability of finishing the label from state s at step t, excluding
 * step t's own emission. It starts (0 at the end states) at each sample's last step;
 * past that step the emissions are LOG_ZERO, so the recursion there stays at LOG_ZERO and
 * `maximum` with the start values picks exactly the start.
 */
function betaRecursion(a: Alignment, shifts: StateShifts, emissions: tf.Tensor): tf.Tensor {
  const { samples: n, steps: t, states: s } = a;
  const emissionSteps = tf.unstack(emissions);
  const skipOut = tf.tensor(a.skipOut, [n, s]);
  const end = tf.tensor(a.end, [n, s]);
  const lastStep = tf.unstack(tf.tensor(a.lastStep, [t, n, 1]));
  const betas: tf.Tensor[] = new Array<tf.Tensor>(t);
  betas[t - 1] = tf.add(lastStep[t - 1]!, end);
  for (let step = t - 2; step >= 0; step--) {
    const ahead = tf.add(betas[step + 1]!, emissionSteps[step + 1]!);
    // skipOut is LOG_ZERO at the last two states, where nothing is two ahead.
    const fromTwoAhead = tf.add(shifts.byTwo(ahead, 'down'), skipOut);
    const continued = logSumExp3(ahead, shifts.byOne(ahead, 'down'), fromTwoAhead);
    betas[step] = tf.maximum(continued, tf.add(lastStep[step]!, end));
  }
  return tf.stack(betas);
}

/**
 * Moves (N, S) values along the states, by matrix products with 0/1 matrices: 'up' reads
 * the state `by` below (out[s] = x[s - by]), 'down' the state above. Products with exact
 * 0s and 1s and sums of zeros move values exactly, and tfjs-cpu's slice of a small
 * tensor costs as much as several small matMuls (a pad-and-slice shift made CTC twice
 * as slow there). The matrices depend only on S, so the compiled loss keeps them.
 */
class StateShifts {
  constructor(
    private readonly call: LossCall<'CTCLoss'>,
    private readonly states: number,
  ) {}

  /** One state over; LOG_ZERO moves in at the edge. */
  byOne(x: tf.Tensor, direction: 'up' | 'down'): tf.Tensor {
    const edge = this.call.cached(`ctc:edge:${this.states}:${direction}`, () => {
      const mask = new Float32Array(this.states);
      mask[direction === 'up' ? 0 : this.states - 1] = LOG_ZERO;
      return tf.tensor(mask, [1, this.states]);
    });
    return tf.add(tf.matMul(x, this.matrix(direction === 'up' ? 1 : -1)), edge);
  }

  /** Two states over; 0 moves in at the edge, for the caller's skip mask to close. */
  byTwo(x: tf.Tensor, direction: 'up' | 'down'): tf.Tensor {
    return tf.matMul(x, this.matrix(direction === 'up' ? 2 : -2));
  }

  private matrix(by: number): tf.Tensor {
    const s = this.states;
    return this.call.cached(`ctc:shift:${s}:${by}`, () => {
      const m = new Float32Array(s * s);
      for (let from = 0; from < s; from++) {
        const to = from + by;
        if (to >= 0 && to < s) m[from * s + to] = 1;
      }
      return tf.tensor(m, [s, s]);
    });
  }
}

/** log(exp(a) + exp(b) + exp(c)), shifted by the largest so that nothing overflows. */
function logSumExp3(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor {
  const m = tf.maximum(tf.maximum(a, b), c);
  return tf.add(m, tf.log(tf.add(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m))), tf.exp(tf.sub(c, m)))));
}
