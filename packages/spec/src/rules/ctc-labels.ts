/**
 * MXNet 1.9.1's CTCLoss rules that turn input values into structure, written once for
 * every backend: how a label row, its length and a sequence length are read, which
 * samples its warp-ctc computes at all, and which results its float32 arithmetic makes
 * NaN. A backend calls these on the host (labels and lengths are small and never
 * differentiated) before it builds its inputs, so no two backends can disagree on them.
 *
 * Facts, each measured on mxnet==1.9.1 (packages/spec/test/rules.test.ts):
 * - labels, pred_lengths and label_lengths are read as integers rounded half away from
 *   zero (`0.5 -> 1`, `2.5 -> 3`, `-0.5 -> -1`, `-0.4 -> 0`), not truncated;
 * - without label_lengths a row ends at its first (rounded) -1; with them, a row is its
 *   first `label_lengths[b]` entries, whatever they hold;
 * - the blank is channel C-1 (`blank_label='last'`);
 * - a sample whose labels plus repeated neighbours exceed its sequence length cannot fit:
 *   warp-ctc returns loss 0 for it before reading any activation (its gradient is never
 *   written); a sample that fits with sequence length 0 (only the empty label) gets +inf;
 * - a step whose activations hold a NaN or +Inf, or only -Inf, has a NaN softmax, and the
 *   NaN then spreads through the sample's alpha/beta windows (`ctcNanGradient`);
 * - the gradient is then zeroed from step `trunc(pred_lengths[b])` on (MXNet masks it with
 *   the length cast toward zero, after warp-ctc used the rounded one): pred_lengths 6.5
 *   runs 7 steps but keeps the gradient of 6.
 */
import type { TypedData } from '../tensor.js';
import { ctcWindows } from './ctc-windows.js';

/** What a CTC call plan's detail holds (packages/spec/src/losses/ctc.ts). */
export interface CtcDims {
  readonly n: number;
  readonly t: number;
  readonly c: number;
  readonly labelLength: number;
  readonly timeMajor: boolean;
  readonly labelTimeMajor: boolean;
}

/** One sample as warp-ctc sees it. */
export interface CtcSample {
  /** The label sequence (class indices, rounded). */
  readonly labels: readonly number[];
  /** Sequence length: pred_lengths[b] rounded, or T. */
  readonly steps: number;
  /** Steps whose gradient MXNet keeps: pred_lengths[b] cast toward zero, or T. */
  readonly gradientSteps: number;
  /** Neighbouring equal labels: each needs a blank between them. */
  readonly repeats: number;
  /** `labels + repeats <= steps`: warp-ctc computes the sample (else loss 0). */
  readonly fits: boolean;
}

/** How MXNet's CTC reads a label or length value: rounded half away from zero. */
export function ctcIndexValue(v: number): number {
  const r = Math.round(Math.abs(v));
  return v < 0 ? -r : r;
}

/** `ctcIndexValue` of every element: what a backend feeds instead of the raw label/lengths. */
export function ctcIndexValues(data: TypedData): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ctcIndexValue(data[i]!) + 0; // + 0: no -0
  return out;
}

/** Every sample's label row, sequence length and fit, as MXNet reads them. */
export function ctcSamples(
  dims: CtcDims,
  label: TypedData,
  predLengths?: TypedData,
  labelLengths?: TypedData,
): CtcSample[] {
  const { n, t, labelLength, labelTimeMajor } = dims;
  const samples: CtcSample[] = [];
  for (let b = 0; b < n; b++) {
    const labels: number[] = [];
    const width = labelLengths === undefined ? labelLength : ctcIndexValue(labelLengths[b]!);
    for (let j = 0; j < width; j++) {
      const v = ctcIndexValue(label[labelTimeMajor ? j * n + b : b * labelLength + j]!);
      if (labelLengths === undefined && v === -1) break; // the padding value ends the row
      labels.push(v);
    }
    let repeats = 0;
    for (let j = 1; j < labels.length; j++) if (labels[j] === labels[j - 1]) repeats++;
    const steps = predLengths === undefined ? t : ctcIndexValue(predLengths[b]!);
    const gradientSteps = predLengths === undefined ? t : Math.max(0, Math.trunc(predLengths[b]!));
    samples.push({ labels, steps, gradientSteps, repeats, fits: labels.length + repeats <= steps });
  }
  return samples;
}

/** Where MXNet's CTC output is NaN: per sample for the loss, per pred element for the gradient. */
export interface CtcNanPattern {
  /** (N): 1 where the loss is NaN. */
  readonly loss: Uint8Array;
  /** Like pred (its own layout): 1 where the gradient is NaN. */
  readonly grad: Uint8Array;
}

/**
 * The NaN that MXNet's float32 CTC computes from special activations, or null when the
 * call has none (the usual case, checked in one pass). A step read by the recursion
 * (t < steps of a sample that fits) whose activations hold a NaN or +Inf, or only -Inf,
 * has a NaN softmax: every gradient element of that step is NaN, and the NaN enters
 * every alpha and beta it touches, exactly as warp-ctc's loops carry it (log-sum-exp of
 * -inf and NaN is NaN). The loss is then NaN, and the gradient of channel k at step t is
 * NaN where some state of channel k in that step's beta window holds a NaN alpha*beta,
 * unless the activation is -Inf (warp-ctc returns the softmax, 0, there); elsewhere it
 * stays `softmax * G`. A -Inf activation alone poisons nothing: its softmax is 0.
 */
export function ctcNanGradient(dims: CtcDims, pred: Float32Array, samples: readonly CtcSample[]): CtcNanPattern | null {
  const { n, t: T, c, timeMajor } = dims;
  const at = (b: number, t: number) => (timeMajor ? (t * n + b) * c : (b * T + t) * c);
  const rowIsNaN = (b: number, t: number): boolean => {
    const o = at(b, t);
    let max = -Infinity;
    let nan = false;
    for (let k = 0; k < c; k++) {
      const x = pred[o + k]!;
      if (Number.isNaN(x)) nan = true;
      else if (x > max) max = x;
    }
    return nan || max === Infinity || max === -Infinity;
  };
  let pattern: CtcNanPattern | null = null;
  for (let b = 0; b < n; b++) {
    const sample = samples[b]!;
    if (!sample.fits || sample.steps === 0) continue;
    const rowNaN = new Uint8Array(sample.steps);
    let any = false;
    for (let t = 0; t < sample.steps; t++) if (rowIsNaN(b, t)) rowNaN[t] = 1;
    for (let t = 0; t < sample.steps; t++) any ||= rowNaN[t] === 1;
    if (!any) continue;
    pattern ??= { loss: new Uint8Array(n), grad: new Uint8Array(pred.length) };
    spreadNaN(
      sample,
      rowNaN,
      c,
      pattern,
      b,
      (t, k) => pred[at(b, t) + k]!,
      (t) => at(b, t),
    );
  }
  return pattern;
}

/** warp-ctc's alpha and beta loops for one sample, carrying only "is NaN". */
function spreadNaN(
  sample: CtcSample,
  rowNaN: Uint8Array,
  c: number,
  pattern: CtcNanPattern,
  b: number,
  activation: (t: number, k: number) => number,
  offset: (t: number) => number,
): void {
  const { labels, steps } = sample;
  const blank = c - 1;
  const states = 2 * labels.length + 1;
  const ext = Array.from({ length: states }, (_, s) => (s % 2 === 1 ? labels[(s - 1) / 2]! : blank));
  // warp-ctc's windows over every step (ctc-windows.ts; this sample is one that is computed).
  const w = ctcWindows({ ...sample, fits: true });
  const alpha = new Uint8Array(states * steps); // NaN flags; outside a window alpha is -inf
  for (let i = w.alphaStart[0]!; i < w.alphaEnd[0]!; i++) alpha[i] = rowNaN[0]!;
  for (let t = 1; t < steps; t++) {
    const col = t * states;
    const prev = col - states;
    for (let i = w.alphaStart[t]!; i < w.alphaEnd[t]!; i++) {
      let nan = alpha[prev + i]! | (i > 0 ? alpha[prev + i - 1]! : 0);
      if (i > 1 && ext[i] !== blank && i !== 1 && ext[i] !== ext[i - 2]) nan |= alpha[prev + i - 2]!;
      alpha[col + i] = nan | rowNaN[t]!;
    }
  }
  const last = (steps - 1) * states;
  for (let i = w.alphaStart[steps - 1]!; i < w.alphaEnd[steps - 1]!; i++) {
    if (alpha[last + i]) pattern.loss[b] = 1;
  }
  const beta = new Uint8Array(states); // one column, updated in place as warp-ctc does
  const channelNaN = new Uint8Array(c);
  for (let t = steps - 1; t >= 0; t--) {
    const col = t * states;
    channelNaN.fill(0);
    for (let i = w.betaStart[t]!; i < w.betaEnd[t]!; i++) {
      if (t < steps - 1) {
        let nan = beta[i]! | (i + 1 < states ? beta[i + 1]! : 0);
        if (ext[i] !== blank && i !== states - 2 && i + 2 < states && ext[i] !== ext[i + 2]) nan |= beta[i + 2]!;
        beta[i] = nan | rowNaN[t]!;
      } else {
        beta[i] = rowNaN[t]!;
      }
      if (alpha[col + i]! | beta[i]!) channelNaN[ext[i]!] = 1;
    }
    if (t >= sample.gradientSteps) continue; // zeroed by MXNet's length mask
    const o = offset(t);
    for (let k = 0; k < c; k++) {
      if (rowNaN[t] || (channelNaN[k] && activation(t, k) !== -Infinity)) pattern.grad[o + k] = 1;
    }
  }
}
