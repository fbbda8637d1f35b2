import * as tf from '@tensorflow/tfjs';
import { ctcNanGradient, ctcSamples, ctcStateTables, type CtcStateTables } from '@gluon-loss/spec';
import type { LossCall } from '../loss-call.js';
import { logSoftmaxValue } from '../ops/log-softmax.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * log(0) of the recursions. On tfjs-cpu and tfjs-wasm it is -Infinity, as in MXNet: a
 * real log-likelihood reaches down to -FLOAT32_MAX with large activations (MXNet's loss
 * is then finite, up to 3.4e38), so no finite stand-in can tell "no path" from a very
 * unlikely one. WebGL and WebGPU shaders do not carry infinities reliably; they take
 * ordinary values only (compiled-loss.ts refuses the rest), whose log-likelihoods stay
 * far above -1e30, so there log(0) is -1e30 and "no path" is anything below half of it.
 */
function logZeroOfBackend(): number {
  const backend = tf.getBackend();
  return backend === 'cpu' || backend === 'wasm' ? -Infinity : -1e30;
}

/**
 * MXNet 1.9.1's CTCLoss (its bundled warp-ctc, `blank_label='last'`), with tfjs ops so
 * that it runs on every tfjs backend: warp-ctc's own float32 arithmetic, batched over
 * samples and the states of the blank-extended label, one whole-tensor step per time step.
 *
 * - the log-softmax `(x - max) - log(sum(exp(x - max)))`, float32, per step;
 * - alpha in log space, `logPlus(logPlus(a[s], a[s-1]), a[s-2]) + logp`, with warp-ctc's
 *   `logPlus(a, b) = log1p(exp(-|a - b|)) + max(a, b)` (whose result decides the exact
 *   0.0 the gradient tests), only inside warp-ctc's window of states (ctc-windows.ts);
 * - beta (including the step's own emission, as warp-ctc's), one column updated in
 *   place inside its window: states outside it keep what the column held;
 * - per channel, `o = logPlus` of `alpha + beta` over the channel's states in the beta
 *   window, in state order; the gradient is `softmax - exp((o - logp) - logLikelihood)`,
 *   or `softmax` alone where `o` is exactly 0.0 or -inf or logp is -inf. With no path at
 *   all (log-likelihood -inf) a channel with a finite `o` gets `softmax - inf`, as in
 *   MXNet (a label equal to the blank index gives alpha and beta different skip rules:
 *   beta may then reach states alpha cannot).
 *
 * MXNet's rules, all decided in JS from the labels and lengths before any tensor exists:
 * - the blank is channel C-1; a label row ends at its first -1, or after label_lengths;
 * - alpha may enter a state from two states back unless the state is a blank, the first
 *   label, or repeats the label two states back; beta may leave a state for the one two
 *   ahead unless the *leaving* state is a blank or the last label, or equals the label
 *   two ahead (the two rules differ for a label equal to the blank index);
 * - a sample with `labels + repeats > pred_length` cannot fit: loss 0 (warp-ctc returns
 *   before computing), and our gradient there is 0 (MXNet's is never written);
 * - a sample that fits but has no path has loss +inf;
 * - past pred_length (cast toward zero) the gradient is 0;
 * - a NaN softmax poisons what the spec's `ctcNanGradient` says.
 */
export function ctcLoss(call: LossCall<'CTCLoss'>): tf.Tensor {
  const logZero = logZeroOfBackend();
  const alignment = prepareAlignment(call, logZero);
  const pred = call.input('pred');
  // The recursions step through time, so they work time-major: (T, N, C).
  const activations = call.detail.timeMajor ? pred : tf.transpose(pred, [1, 0, 2]);
  return negativeLogLikelihood(alignment, new Steps(call, alignment, logZero))(activations);
}

/** Everything the recursions need that follows from labels and lengths, as flat arrays. */
interface Alignment extends CtcStateTables {
  /** (N*S) index into a (N*C) row: sample * C + the state's channel. */
  readonly gatherIndex: Int32Array;
  /** (layers, N*C): `layerIndex` into a (N*S + 1) row: sample * S + state, N*S for none. */
  readonly rowLayerIndex: Int32Array;
  readonly samples: number;
  readonly steps: number;
  readonly channels: number;
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

function prepareAlignment(call: LossCall<'CTCLoss'>, logZero: number): Alignment {
  const dims = call.detail;
  const { n, t, c } = dims;
  const labelLengths = call.has('label_lengths') ? call.data('label_lengths') : undefined;
  const predLengths = call.has('pred_lengths') ? call.data('pred_lengths') : undefined;
  // Label rows and lengths as MXNet reads them (rounded, -1 padding): the spec's rule.
  const samples = ctcSamples(dims, call.data('label'), predLengths, labelLengths);
  const tables = ctcStateTables(dims, samples, logZero);
  const s = tables.states;
  const a = {
    ...tables,
    gatherIndex: Int32Array.from(tables.channel, (channel, k) => Math.floor(k / s) * c + channel),
    rowLayerIndex: Int32Array.from(tables.layerIndex, (state, k) =>
      state === s ? n * s : Math.floor((k % (n * c)) / c) * s + state,
    ),
    samples: n,
    steps: t,
    channels: c,
    gradientValid: new Float32Array(t * n),
    fits: new Float32Array(n),
    read: new Float32Array(t * n),
    nan: null as Alignment['nan'],
  };
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
    const { steps: length, gradientSteps, fits } = samples[i]!;
    for (let step = 0; step < Math.min(gradientSteps, length); step++) a.gradientValid[step * n + i] = 1;
    a.fits[i] = fits ? 1 : 0;
    if (fits) for (let step = 0; step < length; step++) a.read[step * n + i] = 1;
  }
  return a;
}

/** The customGrad op: (T, N, C) activations to the (N,) loss. */
function negativeLogLikelihood(a: Alignment, steps: Steps): (activations: tf.Tensor) => tf.Tensor {
  const { samples: n, steps: t, channels: c, states: s } = a;
  return unaryCustomGrad((given, save) => {
    // Activations MXNet never reads (past pred_length, or of a sample that cannot fit)
    // must not change anything, whatever they hold: they are replaced by 0.
    const activations = tf.where(tf.cast(tf.tensor(a.read, [t, n, 1]), 'bool'), given, tf.zerosLike(given));
    const logProbabilities = logSoftmaxValue(activations, 2);
    // Emission log-probability of each state: a gather from the flattened (T, N*C) rows
    // (tfjs-wasm's gather with batchDims gives wrong rows).
    const emissions = tf.reshape(
      tf.gather(tf.reshape(logProbabilities, [t, n * c]), tf.tensor1d(a.gatherIndex, 'int32'), 1),
      [t, n, s],
    );
    // log(0) outside alpha's window, whatever the sum there (a NaN of a step warp-ctc
    // never computes must not spread): `where`, not an added mask.
    const open = tf.unstack(tf.equal(tf.tensor(a.alphaWindow, [t, n, s]), 0));
    const closed = tf.fill([n, s], steps.logZero);
    const emissionSteps = tf.unstack(emissions);
    const alphas: tf.Tensor[] = [tf.where(open[0]!, emissionSteps[0]!, closed)];
    const moves = steps.moves();
    for (let step = 1; step < t; step++) {
      const sum = tf.add(steps.alphaSum(alphas[step - 1]!, moves), emissionSteps[step]!);
      alphas.push(tf.where(open[step]!, sum, closed));
    }
    const alpha = tf.stack(alphas);
    // warp-ctc's log-likelihood: logPlus of the last label's and the last blank's alpha
    // at the sample's last step.
    const flatAlpha = tf.reshape(alpha, [t * n * s]);
    // A missing state (no label, no steps) is log(0) by `where`: its index points at another
    // sample's alpha, which may be NaN.
    const atEnd = (index: Int32Array, open: Float32Array) =>
      tf.where(
        tf.equal(tf.tensor1d(open), 0),
        tf.gather(flatAlpha, tf.tensor1d(index, 'int32')),
        tf.fill([n], steps.logZero),
      );
    const logLikelihood = logPlus(atEnd(a.lastLabel, a.lastLabelOpen), atEnd(a.lastBlank, a.lastBlankOpen));
    const fits = tf.cast(tf.tensor1d(a.fits), 'bool');
    // -(-inf) is +inf: a sample that fits with no path (or no steps) has loss +inf.
    const noPath = steps.isLogZero(logLikelihood);
    let loss = tf.where(
      fits,
      tf.where(noPath, tf.fill([n], Number.POSITIVE_INFINITY), tf.neg(logLikelihood)),
      tf.zeros([n]),
    );
    // Rebuilt in the gradient: tensors made here are disposed before it runs.
    const poisonedSamples = () => (a.nan === null ? null : tf.cast(tf.tensor1d(Float32Array.from(a.nan.loss)), 'bool'));
    const poisoned = poisonedSamples();
    if (poisoned !== null) loss = tf.where(poisoned, tf.fill([n], Number.NaN), loss);
    save([logProbabilities, emissions, alpha, logLikelihood]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [logProbs, emissionAll, alphaAll, likelihood] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const beta = steps.betaRecursion(emissionAll);
        // alpha*beta of every state in the beta window (warp-ctc sums no other), log(0) elsewhere.
        const product = tf.where(
          tf.cast(tf.tensor(a.betaWindow, [t, n, s]), 'bool'),
          tf.add(alphaAll, beta),
          tf.fill([t, n, s], steps.logZero),
        );
        const perChannel = steps.perChannel(product); // (T, N, C)
        const softmax = tf.exp(logProbs);
        const posterior = tf.exp(tf.sub(tf.sub(perChannel, logProbs), tf.reshape(likelihood, [1, n, 1])));
        const softmaxOnly = tf.logicalOr(
          tf.logicalOr(tf.equal(perChannel, 0), steps.isLogZero(perChannel)),
          steps.isLogZero(logProbs),
        );
        let unscaled = tf.where(softmaxOnly, softmax, tf.sub(softmax, posterior));
        const poisoned = poisonedSamples();
        // A poisoned sample's posterior is not used: its gradient is `softmax * G` but for the NaN.
        if (poisoned !== null) unscaled = tf.where(tf.reshape(poisoned, [1, n, 1]), softmax, unscaled);
        const scaled = tf.mul(unscaled, tf.reshape(dy, [1, n, 1]));
        // MXNet writes nothing for a sample that cannot fit, and masks steps past its length.
        const kept = tf.mul(tf.tensor(a.gradientValid, [t, n, 1]), tf.reshape(tf.tensor1d(a.fits), [1, n, 1]));
        const grad = tf.where(tf.cast(kept, 'bool'), scaled, tf.zeros([t, n, c]));
        if (a.nan === null) return grad;
        const nanAt = tf.cast(tf.tensor(Float32Array.from(a.nan.grad), [t, n, c]), 'bool');
        // warp-ctc returns exp(logp) = 0 wherever logp is -inf, NaN around it or not: also
        // for a finite activation whose `x - max` overflows (the spec's rule tests the
        // activation for -Inf only).
        return tf.where(steps.isLogZero(logProbs), grad, tf.where(nanAt, tf.fill([t, n, c], Number.NaN), grad));
      },
    };
  });
}

/**
 * warp-ctc's `log_plus`: log(exp(a) + exp(b)) as `log1p(exp(-|a - b|)) + max(a, b)`, so
 * that one term of -inf gives the other exactly. Two -inf give -inf: the difference is
 * taken from a finite stand-in for the larger, where `-inf - -inf` would be NaN.
 */
function logPlus(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const high = tf.maximum(a, b);
  const difference = tf.sub(tf.minimum(a, b), tf.maximum(high, -FLOAT32_MAX));
  return tf.add(high, tf.log1p(tf.exp(difference)));
}

/**
 * The steps of the recursions over (N, S) state columns. States move by gathers along
 * the state axis (out[s] = x[s - 1], ...): a 0/1 matrix product would turn log(0) = -inf
 * into NaN (-inf * 0), and tfjs-cpu's slice of a small tensor costs several gathers. The
 * index tensors depend only on S, so the compiled loss keeps them.
 */
/** Where warp-ctc moves between states (bool, (N, S)), and log(0) for the moves it does not make. */
interface Moves {
  readonly intoFromOne: tf.Tensor;
  readonly intoFromTwo: tf.Tensor;
  readonly outToOne: tf.Tensor;
  readonly outToTwo: tf.Tensor;
  readonly none: tf.Tensor;
}

class Steps {
  readonly #up1: tf.Tensor;
  readonly #up2: tf.Tensor;
  readonly #down1: tf.Tensor;
  readonly #down2: tf.Tensor;

  constructor(
    call: LossCall<'CTCLoss'>,
    private readonly a: Alignment,
    readonly logZero: number,
  ) {
    const s = a.states;
    const shift = (by: number) =>
      call.cached(`ctc:shift:${s}:${by}`, () =>
        tf.tensor1d(
          Int32Array.from({ length: s }, (_, i) => Math.min(s - 1, Math.max(0, i - by))),
          'int32',
        ),
      );
    this.#up1 = shift(1);
    this.#up2 = shift(2);
    this.#down1 = shift(-1);
    this.#down2 = shift(-2);
  }

  /**
   * (N, S) bool masks of the moves warp-ctc makes: a move it does not make reads nothing,
   * so its source (even a NaN) is replaced by log(0) with `where`, never by adding
   * log(0). Made per use: tensors the forward makes are disposed before the gradient runs.
   */
  moves(): Moves {
    const { samples: n, states: s } = this.a;
    const edge = (closedAt: number) =>
      tf.cast(
        tf.tensor(
          Float32Array.from({ length: n * s }, (_, k) => (k % s === closedAt ? 0 : 1)),
          [n, s],
        ),
        'bool',
      );
    return {
      intoFromOne: edge(0),
      intoFromTwo: tf.equal(tf.tensor(this.a.skipInto, [n, s]), 0),
      outToOne: edge(s - 1),
      outToTwo: tf.equal(tf.tensor(this.a.skipOut, [n, s]), 0),
      none: tf.fill([n, s], this.logZero),
    };
  }

  /** Where a log value stands for 0 (no path): -inf, or below half the finite stand-in. */
  isLogZero(x: tf.Tensor): tf.Tensor {
    return this.logZero === -Infinity ? tf.equal(x, -Infinity) : tf.less(x, this.logZero / 2);
  }

  /** alpha's `logPlus(logPlus(a[s], a[s-1]), a[s-2])`, the skip where allowed. */
  alphaSum(previous: tf.Tensor, moves: Moves): tf.Tensor {
    const fromOneBack = tf.where(moves.intoFromOne, tf.gather(previous, this.#up1, 1), moves.none);
    const fromTwoBack = tf.where(moves.intoFromTwo, tf.gather(previous, this.#up2, 1), moves.none);
    return logPlus(logPlus(previous, fromOneBack), fromTwoBack);
  }

  /**
   * beta[t][s] as warp-ctc keeps it: log-probability of finishing the label from state s
   * at step t, including step t's emission. It starts from the emission at each sample's
   * last step; inside the window it is `logPlus(logPlus(b[s], b[s+1]), b[s+2]) + logp`,
   * outside the column keeps its value (log(0) before the sample's last step).
   */
  betaRecursion(emissions: tf.Tensor): tf.Tensor {
    const { samples: n, steps: t, states: s } = this.a;
    const emissionSteps = tf.unstack(emissions);
    const windows = tf.unstack(tf.cast(tf.tensor(this.a.betaWindow, [t, n, s]), 'bool'));
    const starts = tf.unstack(tf.tensor(this.a.betaStart, [t, n, 1]));
    const moves = this.moves();
    const betas: tf.Tensor[] = new Array<tf.Tensor>(t);
    let column = tf.fill([n, s], this.logZero);
    for (let step = t - 1; step >= 0; step--) {
      const fromOneAhead = tf.where(moves.outToOne, tf.gather(column, this.#down1, 1), moves.none);
      const fromTwoAhead = tf.where(moves.outToTwo, tf.gather(column, this.#down2, 1), moves.none);
      const continued = logPlus(logPlus(column, fromOneAhead), fromTwoAhead);
      // At the last step the column holds only log(0), and the start (0) wins.
      const computed = tf.add(tf.maximum(continued, starts[step]!), emissionSteps[step]!);
      column = tf.where(windows[step]!, computed, column);
      betas[step] = column;
    }
    return tf.stack(betas);
  }

  /** (T, N, S) log values to (T, N, C): warp-ctc's logPlus over each channel's states, in state order. */
  perChannel(product: tf.Tensor): tf.Tensor {
    const { samples: n, steps: t, states: s, channels: c, layers } = this.a;
    const rows = tf.concat([tf.reshape(product, [t, n * s]), tf.fill([t, 1], this.logZero)], 1);
    const layer = (j: number) =>
      tf.gather(rows, tf.tensor1d(this.a.rowLayerIndex.subarray(j * n * c, (j + 1) * n * c), 'int32'), 1);
    let total = layer(0);
    for (let j = 1; j < layers; j++) total = logPlus(layer(j), total);
    return tf.reshape(total, [t, n, c]);
  }
}
