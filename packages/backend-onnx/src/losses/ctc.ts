import { ctcIndexValues, ctcNanGradient, ctcSamples, type CallPlan, type CtcNanPattern } from '@gluon-loss/spec';
import { GraphOps } from '../graph/ops.js';
import { attr, type Value } from '../graph/onnx-graph.js';
import type { CtcRecursion, LossContext } from '../loss-graph.js';

/**
 * log(0) of the recursions. A large finite number, not -Infinity: `-inf - (-inf)` would
 * make NaN in the log-sum-exp, WGSL does not promise IEEE infinities, and the one-hot
 * matrix products below multiply every value by 0. A path through it stays below
 * NEG / 2, far beneath any real log-likelihood, so it still reads as "no alignment".
 */
const NEG = -1e30;

/** One step of a recursion: the new log-probabilities of the S states. */
type Step = (ops: GraphOps, previous: Value, emission: Value, active: Value | undefined) => Value;

/**
 * MXNet's CTCLoss (`blank_label='last'`) as a graph. The loss is `-log Z` from the forward
 * (alpha) recursion in log space over the extended label `blank, l1, blank, ..., blank`
 * (S = 2L + 1 states); a sample whose alignment cannot fit (Z = 0), or with no input
 * frames, gets loss 0 and gradient 0. Without label_lengths a row ends at its first -1;
 * without pred_lengths every sequence has all T frames, and with them a sample's
 * recursion stops (its state is carried unchanged) after its own length.
 *
 * The gradient is the closed form with respect to the pre-softmax activations,
 * `softmax - posterior`, with the posterior `exp(alpha + beta - log Z)` summed per class:
 * differentiating the recursion step by step would build T chains of log-sum-exp
 * gradients and lose precision that the alpha-beta form keeps. Frames past a sample's
 * pred_length get gradient 0, as MXNet's.
 *
 * The three moves into state s (stay, from s-1, skip from s-2 when the label differs from
 * the one two states back and is not the blank) are one matrix product per step with a
 * constant (S, 3S) selection matrix, plus a per-sample (N, 3, S) penalty that is 0 for an
 * allowed move and NEG otherwise. Labels are gathered and posteriors scattered with a
 * one-hot (N, S, C) matrix, so every op has a WebGPU kernel. The recursion over T is
 * either unrolled (plain ops, kept on the WebGPU EP) or a Scan (no WebGPU kernel).
 */
export function ctcLoss({ ops, inputs, plan, options, prepare, hostInput }: LossContext<'CTCLoss'>): Value {
  const { n: N, t: T, c: C, labelLength: L, timeMajor, labelTimeMajor } = plan.detail;
  const S = 2 * L + 1;
  const pred = inputs.pred!;
  const shape: RecursionShape = { N, S, T, strategy: options.ctcRecursion };
  // Labels and lengths are fed as MXNet reads them (rounded half away from zero).
  for (const name of ['label', 'pred_lengths', 'label_lengths']) {
    if (inputs[name] !== undefined) prepare(name, (call) => ctcIndexValues(call.tensors[name]!.data));
  }
  // What each sample's result is before any arithmetic (SampleStatus), from the spec's rules.
  const status = hostInput('ctc_status', [N], (call) => hostRules(call).status);

  const forward = ops.untaped(() => {
    const logProb = ops.logSoftmax(timeMajor ? pred : ops.transpose(pred, [1, 0, 2]), 2); // (T, N, C)
    // A -inf log-probability (a masked logit) becomes NEG before the one-hot product, where
    // -inf * 0 would be NaN; its paths then carry no probability, as in MXNet.
    const emissionSource = ops.maximum(logProb, NEG);
    const label = labelTimeMajor ? ops.transpose(inputs.label!, [1, 0]) : inputs.label!; // (N, L)
    const labelLen = labelLengths(ops, label, inputs.label_lengths);

    // Extended labels (N, S): blank, l0, blank, l1, ..., blank.
    const blank = C - 1;
    const pairs = ops.concat(
      [ops.graph.constant(new Float32Array(N * L).fill(blank), [N, L, 1]), ops.reshape(label, [N, L, 1])],
      2,
    );
    const ext = ops.concat(
      [ops.reshape(pairs, [N, 2 * L]), ops.graph.constant(new Float32Array(N).fill(blank), [N, 1])],
      1,
    );
    const classIndex = ops.graph.constant(
      Float32Array.from({ length: C }, (_, c) => c),
      [1, 1, C],
    );
    const oneHot = ops.cast(ops.equal(ops.reshape(ext, [N, S, 1]), classIndex), 'float32'); // (N, S, C)
    // emission[t, n, s] = logProb[t, n, ext[n, s]]. A padding label (-1) picks 0, but its
    // states lie past the label's end: they never reach the final states (alpha) and
    // start from NEG (beta), so they carry no probability.
    const emissions = ops.reshape(
      ops.matMul(ops.reshape(emissionSource, [T, N, 1, C]), ops.transpose(oneHot, [0, 2, 1])),
      [T, N, S],
    );

    // Legal skips. Alpha: into s from s-2 when ext[s] is not the blank and differs from
    // ext[s-2]. Beta: out of s to s+2 when ext[s] is not the blank and differs from
    // ext[s+2], the test MXNet's beta pass makes from the source state. The two agree
    // unless a label equals the blank index (which MXNet accepts): then MXNet's gradient
    // follows the asymmetric rule, and so does this one.
    const stateIndex = ops.graph.constant(
      Float32Array.from({ length: S }, (_, s) => s),
      [1, S],
    );
    const notBlank = ops.cast(ops.not(ops.equal(ext, blank)), 'float32');
    const differs = (other: Value): Value => ops.cast(ops.not(ops.equal(ext, other)), 'float32');
    const sentinel = ops.graph.constant(new Float32Array(N * 2).fill(-2), [N, 2]);
    const skipIn = ops.mul(
      ops.cast(ops.greaterOrEqual(stateIndex, 2), 'float32'),
      ops.mul(notBlank, differs(ops.concat([sentinel, ops.slice(ext, 1, 0, S - 2)], 1))),
    );
    const skipOut = ops.mul(
      ops.cast(ops.less(stateIndex, S - 2), 'float32'),
      ops.mul(notBlank, differs(ops.concat([ops.slice(ext, 1, 2, S), sentinel], 1))),
    );
    const moves = transitions(ops, N, S, skipIn, skipOut);
    const predLen = inputs.pred_lengths === undefined ? undefined : ops.reshape(inputs.pred_lengths, [N, 1]);

    const firstEmission = ops.reshape(ops.slice(emissions, 0, 0, 1), [N, S]);
    const laterEmissions = T > 1 ? ops.slice(emissions, 0, 1, T) : undefined; // frames 1..T-1
    const alphaStep: Step = (o, previous, emission, active) => {
      const next = o.add(logSumExpOfMoves(o, previous, moves.alpha, N, S), emission);
      return active === undefined ? next : o.where(active, next, previous);
    };
    const alpha = runRecursion(
      ops,
      shape,
      'forward',
      ops.where(ops.less(stateIndex, 2), firstEmission, NEG),
      laterEmissions,
      predLen,
      alphaStep,
    );

    // Z sums the two final states, s = 2*len and s = 2*len - 1 (only s = 0 for an empty label).
    const twiceLen = ops.reshape(ops.mul(labelLen, 2), [N, 1]);
    const isFinal = ops.greater(
      ops.add(
        ops.cast(ops.equal(stateIndex, twiceLen), 'float32'),
        ops.cast(ops.equal(stateIndex, ops.sub(twiceLen, 1)), 'float32'),
      ),
      0,
    ); // (N, S)
    const logZ = logSumExp(ops, ops.where(isFinal, alpha.last, NEG), 1); // (N,)
    const computed = ops.equal(status, SampleStatus.Computed);
    // A computed sample without any path (every one blocked by -inf) has loss +inf.
    const hasPath = ops.greater(logZ, NEG / 2);
    const loss = ops.where(
      computed,
      ops.where(hasPath, ops.neg(logZ), Infinity),
      ops.where(
        ops.equal(status, SampleStatus.NaN),
        Number.NaN,
        ops.where(ops.equal(status, SampleStatus.EmptySequence), Infinity, 0),
      ),
    );
    // The posterior is used only where it is finite; elsewhere the gradient is `softmax * G`.
    const usable = ops.greater(ops.add(ops.cast(computed, 'float32'), ops.cast(hasPath, 'float32')), 1);
    // Read by MXNet at all: computed, or NaN (steps that fit, with a NaN softmax somewhere).
    const fits = ops.not(ops.less(status, SampleStatus.Computed));
    return { loss, logProb, oneHot, laterEmissions, moves, predLen, alpha, isFinal, logZ, fits, usable };
  });

  return ops.record([pred], forward.loss, (grad) => [
    ops.untaped(() => {
      const { logProb, oneHot, laterEmissions, moves, predLen, alpha, isFinal, logZ, fits, usable } = forward;
      const betaLast = ops.where(isFinal, 0, NEG); // beta at a sample's last frame
      // beta_t reads frame t+1; past a sample's last frame it restarts from betaLast.
      const betaStep: Step = (o, next, emission, active) => {
        const previous = logSumExpOfMoves(o, o.add(next, emission), moves.beta, N, S);
        return active === undefined ? previous : o.where(active, previous, betaLast);
      };
      const beta = runRecursion(ops, shape, 'backward', betaLast, laterEmissions, predLen, betaStep);
      const posterior = ops.exp(ops.sub(ops.add(alpha.all, beta.all), ops.reshape(logZ, [1, N, 1]))); // (T, N, S)
      const perClass = ops.where(
        ops.reshape(usable, [1, N, 1]),
        ops.reshape(ops.matMul(ops.reshape(posterior, [T, N, 1, S]), oneHot), [T, N, C]),
        0,
      );
      const dLogits = ops.mul(ops.sub(ops.exp(logProb), perClass), ops.reshape(grad, [1, N, 1]));
      let kept = ops.where(ops.reshape(fits, [1, N, 1]), dLogits, 0);
      if (predLen !== undefined) {
        const frameIndex = ops.graph.constant(
          Float32Array.from({ length: T }, (_, t) => t),
          [T, 1, 1],
        );
        // MXNet keeps the gradient of pred_lengths cast toward zero (6.5 runs 7 steps, keeps 6).
        const gradientSteps = hostInput('ctc_gradient_steps', [N], (call) => hostRules(call).gradientSteps);
        kept = ops.where(ops.less(frameIndex, ops.reshape(gradientSteps, [1, N, 1])), kept, 0);
      }
      const laidOut = timeMajor ? kept : ops.transpose(kept, [1, 0, 2]);
      // The NaN that MXNet's float32 recursion spreads from a NaN softmax (the spec's rule).
      const nanGrad = hostInput('ctc_nan_grad', pred.shape, (call) => hostRules(call).nanGrad);
      return ops.where(ops.greater(nanGrad, 0), Number.NaN, laidOut);
    }),
  ]);
}

/**
 * What a sample's result is before any arithmetic, fed as `ctc_status` (with values below
 * Computed, MXNet never reads the sample's activations).
 */
const SampleStatus = {
  /** `labels + repeats > steps`: loss 0, gradient never written (0 here). */
  CannotFit: 0,
  /** Fits with sequence length 0 (the empty label): loss +inf, gradient 0. */
  EmptySequence: 1,
  /** The recursion decides. */
  Computed: 2,
  /** A step it reads has a NaN softmax: loss NaN, gradient NaN where the spec says. */
  NaN: 3,
} as const;

interface HostRules {
  readonly status: Float32Array;
  readonly gradientSteps: Float32Array;
  readonly nanGrad: Uint8Array;
}

/** The spec's CTC rules for one call, computed once per plan (forward and gradient share them). */
const rulesOfPlan = new WeakMap<CallPlan<'CTCLoss'>, HostRules>();
function hostRules(plan: CallPlan<'CTCLoss'>): HostRules {
  let rules = rulesOfPlan.get(plan);
  if (rules === undefined) {
    const dims = plan.detail;
    const pred = plan.tensors.pred!.data as Float32Array;
    const samples = ctcSamples(
      dims,
      plan.tensors.label!.data,
      plan.tensors.pred_lengths?.data,
      plan.tensors.label_lengths?.data,
    );
    const nan: CtcNanPattern | null = ctcNanGradient(dims, pred, samples);
    const status = Float32Array.from(samples, (s, b) =>
      nan?.loss[b]
        ? SampleStatus.NaN
        : !s.fits
          ? SampleStatus.CannotFit
          : s.steps === 0
            ? SampleStatus.EmptySequence
            : SampleStatus.Computed,
    );
    rules = {
      status,
      gradientSteps: Float32Array.from(samples, (s) => Math.min(s.gradientSteps, s.steps)),
      nanGrad: nan?.grad ?? new Uint8Array(pred.length),
    };
    rulesOfPlan.set(plan, rules);
  }
  return rules;
}

/** Each label row's length: label_lengths, or the count of entries before the first -1. */
function labelLengths(ops: GraphOps, label: Value, given: Value | undefined): Value {
  if (given !== undefined) return given;
  const padsSoFar = ops.cumSum(ops.cast(ops.equal(label, -1), 'float32'), 1);
  return ops.reduceSum(ops.cast(ops.equal(padsSoFar, 0), 'float32'), [1]);
}

interface Moves {
  /** (S, 3S): column (k, s) selects state s - k (alpha) or s + k (beta). */
  readonly matrix: Value;
  /** (N, 3, S): 0 where move k into (alpha) or out of (beta) state s is allowed, else NEG. */
  readonly penalty: Value;
}

function transitions(
  ops: GraphOps,
  N: number,
  S: number,
  skipIn: Value,
  skipOut: Value,
): { alpha: Moves; beta: Moves } {
  const selection = (step: 1 | -1): Value => {
    const m = new Float32Array(S * 3 * S);
    for (let k = 0; k < 3; k++) {
      for (let s = 0; s < S; s++) {
        const source = s - step * k;
        if (source >= 0 && source < S) m[source * 3 * S + k * S + s] = 1;
      }
    }
    return ops.graph.constant(m, [S, 3 * S]);
  };
  const perState = (allowed: (s: number) => boolean): Value =>
    ops.graph.constant(
      Float32Array.from({ length: N * S }, (_, i) => (allowed(i % S) ? 1 : 0)),
      [N, 1, S],
    );
  const penaltyOf = (allowed: readonly Value[]): Value => ops.where(ops.greater(ops.concat(allowed, 1), 0), 0, NEG);
  return {
    alpha: {
      matrix: selection(1),
      penalty: penaltyOf([perState(() => true), perState((s) => s >= 1), ops.reshape(skipIn, [N, 1, S])]),
    },
    beta: {
      matrix: selection(-1),
      penalty: penaltyOf([perState(() => true), perState((s) => s < S - 1), ops.reshape(skipOut, [N, 1, S])]),
    },
  };
}

/** `log(sum_k exp(x[source_k(s)] + penalty[k, s]))` for every state: one step's three moves. */
function logSumExpOfMoves(o: GraphOps, x: Value, moves: Moves, N: number, S: number): Value {
  const candidates = o.add(o.reshape(o.matMul(x, moves.matrix), [N, 3, S]), moves.penalty);
  return o.reshape(logSumExp(o, candidates, 1, true), [N, S]);
}

/** Stable log-sum-exp along one axis; the shift is finite because nothing here is -inf. */
function logSumExp(o: GraphOps, x: Value, axis: number, keepdims = false): Value {
  const m = o.reduceMax(x, [axis], true);
  const total = o.add(m, o.log(o.reduceSum(o.exp(o.sub(x, m)), [axis], true)));
  return keepdims
    ? total
    : o.reshape(
        total,
        x.shape.filter((_, i) => i !== axis),
      );
}

interface RecursionShape {
  readonly N: number;
  readonly S: number;
  readonly T: number;
  readonly strategy: CtcRecursion;
}

interface RecursionResult {
  /** Every frame's state in frame order, (T, N, S). */
  readonly all: Value;
  /** The state after the last step: frame T-1 (alpha) or frame 0 (beta). */
  readonly last: Value;
}

/**
 * Runs a recursion over frames 1..T-1 (`forward`, alpha) or T-2..0 (`backward`, beta,
 * reading frame t+1). With pred_lengths, `active` tells the step whether frame t (alpha)
 * or t+1 (beta) lies inside the sample's sequence.
 */
function runRecursion(
  ops: GraphOps,
  { N, S, T, strategy }: RecursionShape,
  direction: 'forward' | 'backward',
  first: Value,
  laterEmissions: Value | undefined,
  predLen: Value | undefined,
  step: Step,
): RecursionResult {
  const asFrames = (v: Value): Value => ops.reshape(v, [1, N, S]);
  if (laterEmissions === undefined) return { all: asFrames(first), last: first };
  if (strategy === 'unrolled') {
    const emissions = ops.unstack(laterEmissions, 0); // frames 1..T-1
    const order = emissions.map((_, i) => i);
    if (direction === 'backward') order.reverse();
    const states = [first];
    for (const i of order) {
      const active = predLen === undefined ? undefined : ops.less(i + 1, predLen); // frame i+1 inside the sequence
      states.push(step(ops, states.at(-1)!, emissions[i]!, active));
    }
    if (direction === 'backward') states.reverse();
    return { all: ops.concat(states.map(asFrames), 0), last: direction === 'forward' ? states.at(-1)! : states[0]! };
  }
  // One Scan node; its body is the same step, reading the previous state, the frame's
  // emissions and (with pred_lengths) a 0/1 activity flag as scan inputs.
  const body = ops.graph.subgraph(`ctc_${direction}_step`);
  const bodyOps = new GraphOps(body, ops.options);
  const state = body.input(body.fresh('state'), 'float32', [N, S]);
  const emission = body.input(body.fresh('emission'), 'float32', [N, S]);
  const flag = predLen === undefined ? undefined : body.input(body.fresh('active'), 'float32', [N, 1]);
  const next = step(bodyOps, state, emission, flag && bodyOps.greater(flag, 0));
  body.output(next, body.fresh('state_out'));
  body.output(next, body.fresh('scan_out'));
  const scanInputs = [laterEmissions];
  if (predLen !== undefined) {
    const frames = ops.graph.constant(
      Float32Array.from({ length: T - 1 }, (_, i) => i + 1),
      [T - 1, 1, 1],
    );
    scanInputs.push(ops.cast(ops.less(frames, ops.reshape(predLen, [1, N, 1])), 'float32'));
  }
  const reverse = direction === 'backward' ? 1 : 0;
  const [final, stacked] = ops.graph.node(
    'Scan',
    [first, ...scanInputs],
    [
      { dtype: 'float32', shape: [N, S] },
      { dtype: 'float32', shape: [T - 1, N, S] },
    ],
    {
      body: attr.graph(body),
      num_scan_inputs: attr.int(scanInputs.length),
      scan_input_directions: attr.ints(scanInputs.map(() => reverse)),
      scan_output_directions: attr.ints([reverse]),
    },
  );
  // Reversed, the scan output is stored in frame order: stacked[t] is beta_t for t < T-1.
  const all =
    direction === 'forward' ? ops.concat([asFrames(first), stacked!], 0) : ops.concat([stacked!, asFrames(first)], 0);
  return { all, last: final! };
}
