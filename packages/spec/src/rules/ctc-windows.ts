/**
 * The windows of states MXNet 1.9.1's CTC (its bundled warp-ctc, `cpu_ctc.h`) computes,
 * for the tensor backends that reproduce its recursions as whole-tensor steps.
 *
 * warp-ctc computes alpha at step t only for the states [alphaStart[t], alphaEnd[t]) (the
 * others keep -inf), and beta, in one column updated in place, only for
 * [betaStart[t], betaEnd[t]) (the others keep whatever the column held); it sums
 * alpha*beta per channel over the beta window alone. With ordinary labels the windows
 * only cut states whose alpha*beta is 0 anyway. With a label equal to the blank index
 * (MXNet accepts one) alpha's and beta's skip rules differ, and what a window cuts, and
 * what the in-place column still holds, shows in MXNet's gradient, so a backend applies
 * the windows as masks to match it. The window ends move by warp-ctc's `s_inc` / `e_inc`
 * steps: a repeated label needs a blank between its copies, so it advances one state at
 * a time. (ctc-labels.ts's NaN spreading walks the same windows.) `ctcStateTables` lays
 * them out, with the rest of what the recursions need, for one call.
 */
import type { CtcDims, CtcSample } from './ctc-labels.js';

export interface CtcWindows {
  readonly alphaStart: Int32Array;
  readonly alphaEnd: Int32Array;
  readonly betaStart: Int32Array;
  readonly betaEnd: Int32Array;
}

/** One sample's windows, per step of its sequence; empty when warp-ctc computes nothing for it. */
export function ctcWindows(sample: CtcSample): CtcWindows {
  const { labels, repeats } = sample;
  const steps = sample.fits ? sample.steps : 0;
  const count = labels.length;
  const states = 2 * count + 1;
  const minSteps = count + repeats;
  const startStep: number[] = [1];
  const endStep: number[] = [];
  for (let i = 1; i < count; i++) {
    if (labels[i - 1] === labels[i]) {
      startStep.push(1, 1);
      endStep.push(1, 1);
    } else {
      startStep.push(2);
      endStep.push(2);
    }
  }
  endStep.push(1);
  const alphaStart = new Int32Array(steps);
  const alphaEnd = new Int32Array(steps);
  let start = minSteps - steps < 0 ? 0 : 1;
  let end = states > 1 ? 2 : 1;
  for (let t = 0; t < steps; t++) {
    if (t > 0) {
      const remain = minSteps - (steps - t);
      if (remain >= 0) start += startStep[remain]!;
      if (t <= minSteps) end += endStep[t - 1]!;
    }
    alphaStart[t] = start;
    alphaEnd[t] = end;
  }
  const betaStart = new Int32Array(steps);
  const betaEnd = new Int32Array(steps);
  start = states > 1 ? states - 2 : 0;
  end = steps > minSteps ? states : states - 1;
  for (let t = steps - 1; t >= 0; t--) {
    if (t < steps - 1) {
      const remain = minSteps - (steps - t);
      if (remain >= -1) start -= startStep[remain + 1]!;
      if (t < minSteps) end -= endStep[t]!;
    }
    betaStart[t] = start;
    betaEnd[t] = end;
  }
  return { alphaStart, alphaEnd, betaStart, betaEnd };
}

/**
 * The tables a tensor backend runs warp-ctc's recursions from, for one call: every state's
 * channel, the skip rules, the windows as masks and where the log-likelihood is read,
 * laid out time-major (T, N, S) over S = 2 * label width + 1 states. Masks hold 0 where a
 * value is kept and `logZero` (-Infinity, or a backend's finite stand-in) where it is not.
 */
export interface CtcStateTables {
  readonly states: number;
  /** (N, S): the channel each state emits (padding states past a row's end: the blank). */
  readonly channel: Int32Array;
  /** (N, S): 0 where alpha may enter a state from two states back (not a blank, the first label, or a repeat). */
  readonly skipInto: Float32Array;
  /** (N, S): 0 where beta may leave a state for the one two ahead (warp-ctc tests the leaving state). */
  readonly skipOut: Float32Array;
  /** (T, N, S): 0 inside the alpha window of a sample that fits, logZero elsewhere. */
  readonly alphaWindow: Float32Array;
  /** (T, N, S): 1 inside the beta window. */
  readonly betaWindow: Uint8Array;
  /** (T, N): 0 at a sample's last step, where beta starts from its emission; logZero elsewhere. */
  readonly betaStart: Float32Array;
  /** (N): flat (T, N, S) index of the last label's and the last blank's state at the last step. */
  readonly lastLabel: Int32Array;
  readonly lastBlank: Int32Array;
  /** (N): 0 where that state exists (a label, a step), logZero where it does not. */
  readonly lastLabelOpen: Float32Array;
  readonly lastBlankOpen: Float32Array;
  /** How many states of one channel a sample has, at most (or the count asked for). */
  readonly layers: number;
  /**
   * (layers, N, C): the j-th state (in state order) of sample n whose channel is c; S (one
   * past the last state: a logZero entry the backend appends) where it has fewer.
   */
  readonly layerIndex: Int32Array;
}

export function ctcStateTables(
  dims: CtcDims,
  samples: readonly CtcSample[],
  logZero: number,
  layerCount?: number,
): CtcStateTables {
  const { n, t, c, labelLength } = dims;
  const blank = c - 1;
  const s = 2 * labelLength + 1;
  const channelOf = new Int32Array(n * s);
  const statesOf: number[][] = Array.from({ length: n * c }, () => []);
  let needed = 1;
  for (let i = 0; i < n; i++) {
    const row = samples[i]!.labels;
    const used = 2 * row.length + 1;
    for (let st = 0; st < s; st++) {
      const channel = st % 2 === 1 && st < used ? row[(st - 1) / 2]! : blank;
      channelOf[i * s + st] = channel;
      if (st < used) {
        const list = statesOf[i * c + channel]!;
        list.push(st);
        needed = Math.max(needed, list.length);
      }
    }
  }
  const layers = layerCount ?? needed;
  if (layers < needed) throw new Error(`ctcStateTables: ${layers} layers for a channel with ${needed} states`);
  const tables = {
    states: s,
    channel: channelOf,
    skipInto: new Float32Array(n * s).fill(logZero),
    skipOut: new Float32Array(n * s).fill(logZero),
    alphaWindow: new Float32Array(t * n * s).fill(logZero),
    betaWindow: new Uint8Array(t * n * s),
    betaStart: new Float32Array(t * n).fill(logZero),
    lastLabel: new Int32Array(n),
    lastBlank: new Int32Array(n),
    lastLabelOpen: new Float32Array(n).fill(logZero),
    lastBlankOpen: new Float32Array(n).fill(logZero),
    layers,
    layerIndex: new Int32Array(layers * n * c).fill(s),
  };
  for (let k = 0; k < n * c; k++) {
    const list = statesOf[k]!;
    for (let j = 0; j < list.length; j++) tables.layerIndex[j * n * c + k] = list[j]!;
  }
  for (let i = 0; i < n; i++) {
    const sample = samples[i]!;
    const row = sample.labels;
    const used = 2 * row.length + 1;
    for (let st = 0; st < s; st++) {
      const k = i * s + st;
      const channel = channelOf[k]!;
      const isLabel = st % 2 === 1 && st < used;
      if (isLabel && st >= 3 && channel !== blank && channel !== row[(st - 3) / 2]) tables.skipInto[k] = 0;
      if (isLabel && st + 2 < used && channel !== blank && channel !== row[(st + 1) / 2]) tables.skipOut[k] = 0;
    }
    // Empty when the sample does not fit: warp-ctc computes nothing for it.
    const w = ctcWindows(sample);
    const length = w.alphaStart.length;
    for (let step = 0; step < length; step++) {
      const at = (step * n + i) * s;
      for (let st = w.alphaStart[step]!; st < w.alphaEnd[step]!; st++) tables.alphaWindow[at + st] = 0;
      for (let st = w.betaStart[step]!; st < w.betaEnd[step]!; st++) tables.betaWindow[at + st] = 1;
    }
    if (length > 0) {
      const last = (length - 1) * n + i;
      tables.betaStart[last] = 0;
      tables.lastBlank[i] = last * s + used - 1;
      tables.lastBlankOpen[i] = 0;
      if (used > 1) {
        tables.lastLabel[i] = last * s + used - 2;
        tables.lastLabelOpen[i] = 0;
      }
    }
  }
  return tables;
}
