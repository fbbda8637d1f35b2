/**
 * CTCLoss: label rows with repeats that need a blank between them, blank-valued labels,
 * empty rows, -1 padding or label_lengths (with anything past each length), pred_lengths
 * of every kind, alignments that cannot fit, long sequences, large alphabets, both layouts,
 * and special values anywhere in pred (past pred_lengths too, where MXNet does not read).
 *
 * Never drawn: a batch whose every label row is empty (MXNet returns uninitialised memory
 * then), a sample with an empty label and pred_lengths 0 (MXNet corrupts its heap), and
 * labels outside [0, C) inside a row (MXNet reads out of bounds).
 */
import type { CaseInputs } from '../case.js';
import type { Rng } from '../rng.js';
import { floats, weightShape } from './common.js';
import { defineSpace } from './define.js';
import { WEIGHTS } from './elementwise.js';

function row(rng: Rng, kind: string, length: number, classes: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < length; j++) {
    if (kind === 'repeats' && j > 0 && rng.chance(0.5)) out.push(out[j - 1]!);
    else if (kind === 'blank-valued' && rng.chance(0.3)) out.push(classes - 1);
    else out.push(rng.int(0, Math.max(0, classes - 2)));
  }
  return out;
}

export const CTC_SPACE = defineSpace({
  loss: 'CTCLoss',
  ranks: [3],
  config: { layout: [undefined, 'NTC', 'TNC'], label_layout: [undefined, 'NT', 'TN'], weight: WEIGHTS },
  options: {
    labels: ['random', 'repeats', 'blank-valued', 'empty-rows', 'tight', 'cannot-fit'],
    padding: ['minus-one', 'label_lengths', 'none'],
    past_length: ['minus-one', 'classes', 'out-of-range'],
    pred_lengths: ['none', 'full', 'random', 'some-zero'],
    dtype: ['float32', 'int32'],
    sample_weight: ['none', 'full', 'broadcast', 'scalar'],
    size: ['small', 'small', 'small', 'long', 'large-alphabet'],
  },
  dims: (rng, _rank, draw) => {
    const size = draw.options.size;
    const n = size === 'long' ? rng.int(1, 2) : rng.int(1, 4);
    const t = size === 'long' ? rng.int(100, 500) : rng.int(1, 12);
    const c = size === 'large-alphabet' ? rng.int(50, 200) : rng.int(2, 6);
    return [n, t, c, rng.int(1, size === 'long' ? 40 : t)];
  },
  rankOf: () => 3,
  build(draw, rng): CaseInputs {
    const n = Math.max(1, draw.dims[0] ?? 1);
    const t = Math.max(1, draw.dims[1] ?? 1);
    const c = Math.max(2, draw.dims[2] ?? 2);
    const width = Math.min(t, Math.max(1, draw.dims[3] ?? 1));
    const o = draw.options;
    const padding = o.labels === 'empty-rows' && o.padding === 'none' ? 'minus-one' : o.padding;
    // Row lengths: full, or shorter with padding; empty rows only where asked, never all.
    const lengths = Array.from({ length: n }, (): number => {
      if (padding === 'none') return width;
      return o.labels === 'empty-rows' && rng.chance(0.5) ? 0 : rng.int(1, width);
    });
    if (!lengths.some((l) => l > 0)) lengths[0] = 1;
    const rows = lengths.map((len) => row(rng, o.labels!, len, c));
    const predLengths = Array.from({ length: n }, (_, i) => {
      if (o.pred_lengths === 'some-zero' && rng.chance(0.4)) return 0;
      if (o.pred_lengths === 'random') return rng.int(0, t);
      if (o.labels === 'tight' || o.labels === 'cannot-fit') {
        // Just enough steps (labels plus the blanks repeats need), or one too few.
        const needed = rows[i]!.length + rows[i]!.filter((v, j) => j > 0 && v === rows[i]![j - 1]).length;
        return Math.max(0, Math.min(t, o.labels === 'tight' ? needed : needed - 1));
      }
      return t;
    });
    // An empty label with pred_lengths 0 corrupts MXNet's heap (free(): invalid next size):
    // never drawn, and the spec rejects it (conformance/README.md).
    predLengths.forEach((p, i) => {
      if (p === 0 && lengths[i] === 0) predLengths[i] = 1;
    });
    const filler = (): number =>
      o.past_length === 'minus-one'
        ? -1
        : o.past_length === 'classes'
          ? rng.int(0, c - 1)
          : rng.pick([c, c + 7, -5, 1e6]);
    const labelNT = rows.flatMap((r) =>
      Array.from({ length: width }, (_, j) => (j < r.length ? r[j]! : padding === 'minus-one' ? -1 : filler())),
    );
    // A -1-padded row ends at its first -1: what follows it is never read either.
    if (padding === 'minus-one' && o.past_length !== 'minus-one') {
      rows.forEach((r, i) => {
        for (let j = r.length + 1; j < width; j++) labelNT[i * width + j] = rng.int(0, c - 1);
      });
    }
    const timeMajor = draw.config.layout === 'TNC';
    const labelTimeMajor = draw.config.label_layout === 'TN';
    const label = labelTimeMajor
      ? Array.from({ length: n * width }, (_, k) => labelNT[(k % n) * width + Math.floor(k / n)]!)
      : labelNT;
    const ints = o.dtype === 'int32';
    const tensorOf = (values: number[], shape: number[]) =>
      ints && values.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)
        ? { data: Int32Array.from(values), shape }
        : { data: Float32Array.from(values), shape };
    const inputs: CaseInputs = {
      pred: floats(rng, timeMajor ? [t, n, c] : [n, t, c], draw.valueClass, (r) => r.normal() * 2),
      label: tensorOf(label, labelTimeMajor ? [width, n] : [n, width]),
    };
    if (o.pred_lengths !== 'none') inputs.pred_lengths = tensorOf(predLengths, [n]);
    if (padding === 'label_lengths') inputs.label_lengths = tensorOf(lengths, [n]);
    const sw = weightShape(rng, o.sample_weight === 'broadcast' ? 'expand' : (o.sample_weight as 'none'), [n]);
    if (sw !== undefined)
      inputs.sample_weight = floats(rng, o.sample_weight === 'broadcast' ? [n, 1] : sw, 'ordinary', (r) =>
        r.uniform(0, 2),
      );
    return inputs;
  },
});
