import {
  ctcIndexValues,
  ctcNanGradient,
  ctcSamples,
  ctcStateTables,
  type CallPlan,
  type CtcNanPattern,
  type CtcStateTables,
} from '@gluon-loss/spec';
import { GraphOps } from '../graph/ops.js';
import { attr, type Value } from '../graph/onnx-graph.js';
import type { CtcRecursion, LossContext } from '../loss-graph.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * log(0) of the recursions: -Infinity, as in MXNet. A real log-likelihood reaches down
 * to -FLOAT32_MAX with large activations (MXNet's loss is then finite, up to 3.4e38), so
 * no finite stand-in can tell "no path" from a very unlikely one. Infinities are IEEE on
 * every EP used here (the WebGPU EP's Log is guarded, and only ever sees values >= 1).
 */
const LOG_ZERO = -Infinity;

/**
 * MXNet's CTCLoss (`blank_label='last'`, its bundled warp-ctc) as a graph, in warp-ctc's
 * own float32 arithmetic, batched over samples and the S = 2L + 1 states of the extended
 * label `blank, l1, blank, ..., blank`, one whole-tensor step per frame:
 * - the log-softmax `(x - max) - log(sum(exp(x - max)))` per frame;
 * - alpha in log space, `logPlus(logPlus(a[s], a[s-1]), a[s-2]) + logp`, with warp-ctc's
 *   `logPlus(a, b) = log1p(exp(-|a - b|)) + max(a, b)` (whose result decides the exact
 *   0.0 the gradient tests), only inside warp-ctc's window of states (the spec's
 *   `ctcStateTables`); the loss is `-logPlus` of the last label's and last blank's alpha;
 * - beta (including the frame's own emission, as warp-ctc's), one column updated in
 *   place inside its window: states outside it keep what the column held;
 * - per channel, `o = logPlus` of `alpha + beta` over the channel's states in the beta
 *   window, in state order; the gradient is `softmax - exp((o - logp) - logLikelihood)`,
 *   or `softmax` alone where `o` is exactly 0.0 or -inf or logp is -inf. With no path at
 *   all (log-likelihood -inf) a channel with a finite `o` gets `softmax - inf`, as in
 *   MXNet (a label equal to the blank index gives alpha and beta different skip rules).
 *
 * States move by Gather along the state axis: a one-hot matrix product would turn
 * -inf * 0 into NaN. The label-dependent tables (which channel a state emits, the skip
 * rules, the windows, each channel's states) are host inputs, computed per call from the
 * spec's rules. Frames past a sample's pred_length (cast toward zero) get gradient 0, as
 * MXNet's. The recursion over T is either unrolled (plain ops, kept on the WebGPU EP) or
 * a Scan (no WebGPU kernel).
 */
export function ctcLoss({ ops, inputs, plan, options, prepare, hostInput }: LossContext<'CTCLoss'>): Value {
  const { n: N, t: T, c: C, labelLength: L, timeMajor } = plan.detail;
  const S = 2 * L + 1;
  const pred = inputs.pred!;
  // Labels and lengths are fed as MXNet reads them (rounded half away from zero).
  for (const name of ['label', 'pred_lengths', 'label_lengths']) {
    if (inputs[name] !== undefined) prepare(name, (call) => ctcIndexValues(call.tensors[name]!.data));
  }
  // What each sample's result is before any arithmetic (SampleStatus), from the spec's rules.
  const status = hostInput('ctc_status', [N], (call) => hostRules(call).status);
  const table = (name: string, shape: readonly number[], pick: (t: CtcStateTables) => ArrayLike<number>) =>
    hostInput(`ctc_${name}`, shape, (call) => pick(hostRules(call).tables));
  // Index tables are reshaped and expanded as float32 and cast to int64 last: the WebGPU EP
  // has no int64 Reshape or Expand kernels (they would run on the CPU EP).
  const asIndex = (v: Value): Value => ops.cast(v, 'int64');
  const steps = new Steps(
    ops,
    S,
    table('skip_into', [N, S], (t) => t.skipInto),
    table('skip_out', [N, S], (t) => t.skipOut),
  );

  const forward = ops.untaped(() => {
    const logProb = ops.logSoftmax(timeMajor ? pred : ops.transpose(pred, [1, 0, 2]), 2); // (T, N, C)
    // emission[t, n, s] = logProb[t, n, channel of state s].
    const channels = asIndex(
      ops.expand(
        ops.reshape(
          table('channel', [N, S], (t) => t.channel),
          [1, N, S],
        ),
        [T, N, S],
      ),
    );
    const emissions = gatherElements(ops, logProb, channels, 2);
    // -inf outside alpha's window, whatever the sum there (a NaN of a frame warp-ctc
    // never computes must not spread): `where`, not an added mask.
    const alphaWindow = table('alpha_window', [T, N, S], (t) => t.alphaWindow);
    const inWindow = (o: GraphOps, window: Value, value: Value) => o.where(o.equal(window, 0), value, LOG_ZERO);
    const first = inWindow(
      ops,
      ops.reshape(ops.slice(alphaWindow, 0, 0, 1), [N, S]),
      ops.reshape(ops.slice(emissions, 0, 0, 1), [N, S]),
    );
    const alpha =
      T === 1
        ? ops.reshape(first, [1, N, S])
        : ops.concat(
            [
              ops.reshape(first, [1, N, S]),
              scanSteps(
                ops,
                options.ctcRecursion,
                'forward',
                first,
                [ops.slice(emissions, 0, 1, T), ops.slice(alphaWindow, 0, 1, T)],
                (o, previous, [emission, window]) =>
                  inWindow(o, window!, o.add(steps.alphaSum(o, previous), emission!)),
              ),
            ],
            0,
          );
    // warp-ctc's log-likelihood: logPlus of the last label's and the last blank's alpha
    // at the sample's last frame, each picked by a mask that is 0 there alone.
    const atEnd = (name: string, mask: (r: HostRules) => ArrayLike<number>) =>
      ops.reduceMax(
        ops.add(
          alpha,
          hostInput(`ctc_${name}`, [T, N, S], (call) => mask(hostRules(call))),
        ),
        [0, 2],
      );
    const logZ = logPlus(
      ops,
      atEnd('last_label', (r) => r.lastLabelMask),
      atEnd('last_blank', (r) => r.lastBlankMask),
    ); // (N,)
    const computed = ops.equal(status, SampleStatus.Computed);
    // A computed sample without any path has loss -(-inf) = +inf; so has a zero-length one.
    const loss = ops.where(
      computed,
      ops.neg(logZ),
      ops.where(
        ops.equal(status, SampleStatus.NaN),
        Number.NaN,
        ops.where(ops.equal(status, SampleStatus.EmptySequence), Infinity, 0),
      ),
    );
    // Read by MXNet at all: computed, or NaN (steps that fit, with a NaN softmax somewhere).
    const fits = ops.not(ops.less(status, SampleStatus.Computed));
    return { loss, logProb, emissions, alpha, logZ, computed, fits };
  });

  return ops.record([pred], forward.loss, (grad) => [
    ops.untaped(() => {
      const { logProb, emissions, alpha, logZ, computed, fits } = forward;
      const betaWindow = table('beta_window', [T, N, S], (t) => t.betaWindow);
      const beta = scanSteps(
        ops,
        options.ctcRecursion,
        'backward',
        ops.expand(ops.reshape(ops.graph.scalar(LOG_ZERO), [1, 1]), [N, S]),
        [emissions, betaWindow, table('beta_start', [T, N, 1], (t) => t.betaStart)],
        (o, column, [emission, window, start]) => {
          // At a sample's last frame the column holds only -inf, and the start (0) wins.
          const computedHere = o.add(max2(o, steps.betaSum(o, column), start!), emission!);
          return o.where(o.greater(window!, 0), computedHere, column);
        },
      );
      // alpha*beta of every state in the beta window (warp-ctc sums no other), -inf elsewhere.
      const product = ops.where(ops.greater(betaWindow, 0), ops.add(alpha, beta), LOG_ZERO);
      // One more state of -inf, for the channels with fewer states than layers.
      const padded = ops.concat(
        [product, ops.expand(ops.reshape(ops.graph.scalar(LOG_ZERO), [1, 1, 1]), [T, N, 1])],
        2,
      );
      // logPlus over each channel's states in state order: layer j is the j-th state.
      const layers = table('layers', [S, N, C], (t) => t.layerIndex);
      const layer = (j: number) =>
        gatherElements(ops, padded, asIndex(ops.expand(ops.slice(layers, 0, j, j + 1), [T, N, C])), 2);
      let total = layer(0);
      for (let j = 1; j < S; j++) total = logPlus(ops, layer(j), total);
      const perChannel = total;
      const softmax = ops.exp(logProb);
      const posterior = ops.exp(ops.sub(ops.sub(perChannel, logProb), ops.reshape(logZ, [1, N, 1])));
      const softmaxOnly = ops.greater(
        ops.add(
          ops.add(ops.cast(ops.equal(perChannel, 0), 'float32'), ops.cast(ops.equal(perChannel, LOG_ZERO), 'float32')),
          ops.cast(ops.equal(logProb, LOG_ZERO), 'float32'),
        ),
        0,
      );
      // A poisoned (NaN) sample's posterior is not used: its gradient is `softmax * G` but for the NaN.
      const unscaled = ops.where(
        ops.reshape(computed, [1, N, 1]),
        ops.where(softmaxOnly, softmax, ops.sub(softmax, posterior)),
        softmax,
      );
      const dLogits = ops.mul(unscaled, ops.reshape(grad, [1, N, 1]));
      // MXNet writes nothing for a sample that cannot fit, and keeps the gradient of
      // pred_lengths cast toward zero (6.5 runs 7 steps, keeps 6).
      let kept = ops.where(ops.reshape(fits, [1, N, 1]), dLogits, 0);
      if (inputs.pred_lengths !== undefined) {
        const frameIndex = ops.graph.constant(
          Float32Array.from({ length: T }, (_, t) => t),
          [T, 1, 1],
        );
        const gradientSteps = hostInput('ctc_gradient_steps', [N], (call) => hostRules(call).gradientSteps);
        kept = ops.where(ops.less(frameIndex, ops.reshape(gradientSteps, [1, N, 1])), kept, 0);
      }
      const laidOut = timeMajor ? kept : ops.transpose(kept, [1, 0, 2]);
      // The NaN that MXNet's float32 recursion spreads from a NaN softmax (the spec's rule).
      const nanGrad = hostInput('ctc_nan_grad', pred.shape, (call) => hostRules(call).nanGrad);
      // warp-ctc returns exp(logp) = 0 wherever logp is -inf, NaN around it or not: also
      // for a finite activation whose `x - max` overflows (the spec's rule tests the
      // activation for -Inf only).
      const logZeroProb = ops.equal(timeMajor ? logProb : ops.transpose(logProb, [1, 0, 2]), LOG_ZERO);
      return ops.where(logZeroProb, laidOut, ops.where(ops.greater(nanGrad, 0), Number.NaN, laidOut));
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
  /** With S layers per channel: the graph's shapes are fixed, a channel has at most S states. */
  readonly tables: CtcStateTables;
  /** (T, N, S): 0 at the last label's (last blank's) state at a sample's last frame, -inf elsewhere. */
  readonly lastLabelMask: Float32Array;
  readonly lastBlankMask: Float32Array;
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
    const tables = ctcStateTables(dims, samples, LOG_ZERO, 2 * dims.labelLength + 1);
    const endMask = (at: Int32Array, open: Float32Array) => {
      const mask = new Float32Array(dims.t * dims.n * tables.states).fill(LOG_ZERO);
      for (let b = 0; b < dims.n; b++) if (open[b] === 0) mask[at[b]!] = 0;
      return mask;
    };
    rules = {
      status,
      gradientSteps: Float32Array.from(samples, (s) => Math.min(s.gradientSteps, s.steps)),
      nanGrad: nan?.grad ?? new Uint8Array(pred.length),
      tables,
      lastLabelMask: endMask(tables.lastLabel, tables.lastLabelOpen),
      lastBlankMask: endMask(tables.lastBlank, tables.lastBlankOpen),
    };
    rulesOfPlan.set(plan, rules);
  }
  return rules;
}

/** ONNX GatherElements: out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis`. */
function gatherElements(o: GraphOps, x: Value, indices: Value, axis: number): Value {
  return o.graph.node('GatherElements', [x, indices], [{ dtype: 'float32', shape: indices.shape }], {
    axis: attr.int(axis),
  })[0]!;
}

/** ONNX Gather of `indices` (int64) along `axis`. */
function gather(o: GraphOps, x: Value, indices: Value, axis: number): Value {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  return o.graph.node('Gather', [x, indices], [{ dtype: 'float32', shape }], { axis: attr.int(axis) })[0]!;
}

/** The larger of two values (WebGPU has no Max kernel); a NaN stays inside a poisoned sample. */
function max2(o: GraphOps, a: Value, b: Value): Value {
  return o.where(o.greater(a, b), a, b);
}

/**
 * log(1 + x) for x in [0, 1] with only Add, Log and Div (ONNX has no Log1p): where
 * 1 + x rounds to 1 it is x, else `log(u) * x / (u - 1)` with u = 1 + x, which cancels the
 * rounding of u (accurate to a few ulps, and 0 only at x = 0, as log1p).
 */
function log1p(o: GraphOps, x: Value): Value {
  const u = o.add(x, 1);
  return o.where(o.equal(u, 1), x, o.mul(o.log(u), o.div(x, o.sub(u, 1))));
}

/**
 * warp-ctc's `log_plus`: log(exp(a) + exp(b)) as `log1p(exp(-|a - b|)) + max(a, b)`, so
 * that one term of -inf gives the other exactly. Two -inf give -inf: the difference is
 * taken from a finite stand-in for the larger, where `-inf - -inf` would be NaN.
 */
function logPlus(o: GraphOps, a: Value, b: Value): Value {
  const aHigher = o.greater(a, b);
  const high = o.where(aHigher, a, b);
  const low = o.where(aHigher, b, a);
  const difference = o.sub(low, o.clip(high, -FLOAT32_MAX, Infinity));
  return o.add(high, log1p(o, o.exp(difference)));
}

/**
 * One recursion step's sums over the (N, S) state column, with the moves each allows. A
 * move warp-ctc does not make reads nothing, so its source (even a NaN) is replaced by
 * -inf with Where, never by adding -inf.
 */
class Steps {
  readonly #intoFromOne: Value;
  readonly #outToOne: Value;
  readonly #intoFromTwo: Value;
  readonly #outToTwo: Value;
  /** Gather indices along the state axis: out[s] = x[s - 1], x[s - 2], x[s + 1], x[s + 2] (clamped). */
  readonly #up1: Value;
  readonly #up2: Value;
  readonly #down1: Value;
  readonly #down2: Value;

  constructor(ops: GraphOps, S: number, skipInto: Value, skipOut: Value) {
    const shift = (by: number) =>
      ops.graph.constant(
        Array.from({ length: S }, (_, i) => Math.min(S - 1, Math.max(0, i - by))),
        [S],
        'int64',
      );
    const edge = (closedAt: number) =>
      ops.graph.constant(
        Array.from({ length: S }, (_, i) => (i === closedAt ? 0 : 1)),
        [1, S],
        'bool',
      );
    this.#intoFromOne = edge(0);
    this.#outToOne = edge(S - 1);
    this.#intoFromTwo = ops.equal(skipInto, 0);
    this.#outToTwo = ops.equal(skipOut, 0);
    this.#up1 = shift(1);
    this.#up2 = shift(2);
    this.#down1 = shift(-1);
    this.#down2 = shift(-2);
  }

  /** alpha's `logPlus(logPlus(a[s], a[s-1]), a[s-2])`, the skip where allowed. */
  alphaSum(o: GraphOps, previous: Value): Value {
    const fromOneBack = o.where(this.#intoFromOne, gather(o, previous, this.#up1, 1), LOG_ZERO);
    const fromTwoBack = o.where(this.#intoFromTwo, gather(o, previous, this.#up2, 1), LOG_ZERO);
    return logPlus(o, logPlus(o, previous, fromOneBack), fromTwoBack);
  }

  /** beta's `logPlus(logPlus(b[s], b[s+1]), b[s+2])`, the skip where allowed. */
  betaSum(o: GraphOps, next: Value): Value {
    const fromOneAhead = o.where(this.#outToOne, gather(o, next, this.#down1, 1), LOG_ZERO);
    const fromTwoAhead = o.where(this.#outToTwo, gather(o, next, this.#down2, 1), LOG_ZERO);
    return logPlus(o, logPlus(o, next, fromOneAhead), fromTwoAhead);
  }
}

/** One step: the (N, S) state after a frame, from the state before and the frame's inputs. */
type Step = (o: GraphOps, state: Value, frame: readonly Value[]) => Value;

/**
 * Runs `step` over the frames of `frames` (each (K, ...)), forward or backward, from
 * `first`; returns the state after every frame, (K, N, S), in frame order.
 */
function scanSteps(
  ops: GraphOps,
  strategy: CtcRecursion,
  direction: 'forward' | 'backward',
  first: Value,
  frames: readonly Value[],
  step: Step,
): Value {
  const [N, S] = first.shape as [number, number];
  const K = frames[0]!.shape[0]!;
  const asFrame = (v: Value): Value => ops.reshape(v, [1, N, S]);
  if (strategy === 'unrolled' || K === 1) {
    const perFrame = frames.map((f) => ops.unstack(f, 0));
    const order = Array.from({ length: K }, (_, i) => i);
    if (direction === 'backward') order.reverse();
    const states: Value[] = new Array<Value>(K);
    let state = first;
    for (const i of order) {
      state = step(
        ops,
        state,
        perFrame.map((f) => f[i]!),
      );
      states[i] = state;
    }
    return ops.concat(states.map(asFrame), 0);
  }
  // One Scan node; its body is the same step, reading the previous state and the frame's inputs.
  const body = ops.graph.subgraph(`ctc_${direction}_step`);
  const bodyOps = new GraphOps(body, ops.options);
  const state = body.input(body.fresh('state'), 'float32', [N, S]);
  const inputs = frames.map((f) => body.input(body.fresh('frame'), 'float32', f.shape.slice(1)));
  const next = step(bodyOps, state, inputs);
  body.output(next, body.fresh('state_out'));
  body.output(next, body.fresh('scan_out'));
  const reverse = direction === 'backward' ? 1 : 0;
  const [, stacked] = ops.graph.node(
    'Scan',
    [first, ...frames],
    [
      { dtype: 'float32', shape: [N, S] },
      { dtype: 'float32', shape: [K, N, S] },
    ],
    {
      body: attr.graph(body),
      num_scan_inputs: attr.int(frames.length),
      scan_input_directions: attr.ints(frames.map(() => reverse)),
      scan_output_directions: attr.ints([reverse]),
    },
  );
  // Reversed, the scan output is stored in frame order.
  return stacked!;
}
