import { z } from 'zod';
import { enumParam, weightParam } from '../config.js';
import { InputError, ShapeError } from '../errors.js';
import { defineLoss, input } from '../loss-spec.js';
import { requireNdim } from '../shape.js';
import { formatShape } from '../tensor.js';
import { ctcIndexValue, ctcSamples } from '../rules/ctc-labels.js';
import { draw } from '../sample.js';

/**
 * Connectionist Temporal Classification, as MXNet 1.9.1's `CTCLoss` operator with
 * `blank_label='last'`: the blank is the last channel; a label row ends at its first -1
 * unless label_lengths is given; an alignment that cannot fit gives loss 0. The loss has
 * shape (N,) and is weighted but never reduced.
 *
 * MXNet checks only shapes. For values it does not check (labels outside [0, C), lengths
 * outside [0, T] or [0, L], fewer than 2 channels) it reads out of bounds, returning
 * garbage or crashing, so `checkValues` rejects them.
 */
export const CTCLoss = defineLoss({
  name: 'CTCLoss',
  aliases: [],
  summary: 'Connectionist Temporal Classification Loss.',
  config: z.strictObject({
    layout: enumParam(
      ['NTC', 'TNC'] as const,
      'NTC',
      'Layout of pred: N batch, T sequence length, C alphabet size (blank last).',
    ),
    label_layout: enumParam(['NT', 'TN'] as const, 'NT', 'Layout of label.'),
    weight: weightParam(null),
  }),
  inputs: () => [
    input.data('pred', 'Unnormalised activations (before softmax), laid out as `layout`; channel C-1 is the blank.'),
    input.indexLabel('label', 'Zero-based labels laid out as `label_layout`, padded with -1.'),
    input.lengths('pred_lengths', 'Length of each sequence in pred, shape (N,).'),
    input.lengths('label_lengths', 'Length of each label row, shape (N,).'),
    input.sampleWeight('Weighting tensor, broadcast against the (N,) loss.'),
  ],
  shape: (config, shapes) => {
    const loss = 'CTCLoss';
    const pred = shapes.pred!;
    const label = shapes.label!;
    requireNdim(loss, 'pred', pred, 3, `in layout ${config.layout}`);
    requireNdim(loss, 'label', label, 2, `in layout ${config.label_layout}`);
    const [n, t] = config.layout === 'NTC' ? [pred[0]!, pred[1]!] : [pred[1]!, pred[0]!];
    const c = pred[2]!;
    const [labelN, labelL] = config.label_layout === 'NT' ? [label[0]!, label[1]!] : [label[1]!, label[0]!];
    if (c < 2) {
      throw new ShapeError({
        loss,
        argument: 'pred',
        expected: 'at least 2 channels (the alphabet, then the blank)',
        received: formatShape(pred),
      });
    }
    if (labelN !== n) {
      throw new ShapeError({
        loss,
        argument: 'label',
        expected: `batch size ${n}, as pred ${formatShape(pred)}`,
        received: formatShape(label),
      });
    }
    if (labelL > t) {
      throw new ShapeError({
        loss,
        argument: 'label',
        expected: `at most ${t} labels per row (the sequence length of pred ${formatShape(pred)})`,
        received: formatShape(label),
      });
    }
    for (const name of ['pred_lengths', 'label_lengths']) {
      const s = shapes[name];
      if (s !== undefined && (s.length !== 1 || s[0] !== n)) {
        throw new ShapeError({
          loss,
          argument: name,
          expected: `shape [${n}] (one per sample)`,
          received: formatShape(s),
        });
      }
    }
    return {
      views: {},
      lossShape: [n],
      reduction: 'none',
      appliedWeight: config.weight,
      detail: {
        n,
        t,
        c,
        labelLength: labelL,
        timeMajor: config.layout === 'TNC',
        labelTimeMajor: config.label_layout === 'TN',
      },
    };
  },
  checkValues: (_config, inputs, shape) => {
    const { n, t, c, labelLength } = shape.detail;
    const predLengths = inputs.pred_lengths?.data;
    const labelLengths = inputs.label_lengths?.data;
    // MXNet rounds labels and lengths half away from zero (rules/ctc-labels.ts): what is
    // checked is the value it reads, so 2.7 is label 3 and -0.6 is the padding -1.
    const integerIn = (name: string, raw: number, lo: number, hi: number, what: string): void => {
      const v = ctcIndexValue(raw);
      if (!(v >= lo && v <= hi)) {
        throw new InputError({
          loss: 'CTCLoss',
          argument: name,
          expected: `values that round to integers in [${lo}, ${hi}] (${what})`,
          received: String(raw),
        });
      }
    };
    for (let i = 0; i < n; i++) {
      if (predLengths) integerIn('pred_lengths', predLengths[i]!, 0, t, 'at most the sequence length');
      if (labelLengths) integerIn('label_lengths', labelLengths[i]!, 0, labelLength, 'at most the label width');
    }
    const samples = ctcSamples(shape.detail, inputs.label!.data, predLengths, labelLengths);
    samples.forEach((sample) => {
      for (const v of sample.labels) {
        integerIn(
          'label',
          v,
          0,
          c - 1,
          labelLengths ? 'class indices within label_lengths' : 'class indices, then -1 padding',
        );
      }
    });
  },
  // pred in NTC (the default layout), a shape [N, T, C] or a size: C up to 64, T = 5C up
  // to 128. Each row has floor(T / 5) labels off the blank, so every alignment fits.
  sampleInputs: (size, rng) => {
    let n: number, t: number, c: number;
    if (typeof size === 'number') {
      c = Math.min(64, Math.max(2, 2 ** Math.ceil(Math.log2(Math.cbrt(Math.max(size, 1))))));
      t = Math.min(5 * c, 128);
      n = Math.max(1, Math.round(size / (t * c)));
    } else {
      [n, t, c] = [size[0]!, size[1]!, size[2]!];
    }
    const labelLength = Math.max(1, Math.floor(t / 5));
    return { pred: draw.normal([n, t, c], rng), label: draw.integers([n, labelLength], rng, c - 1) };
  },
});
