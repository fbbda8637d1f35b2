import { z } from 'zod';
import { batchAxisParam, numberParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { broadcastOrThrow, requireSameSize } from '../shape.js';
import { sizeOf } from '../tensor.js';
import { draw, sampleMatrix } from '../sample.js';

/**
 * Cosine similarity along the last axis, `dot / max(|x| * |y|, 1e-12)`, then
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`. input1 is reshaped
 * to input2's shape; the similarity and the label are reshaped to (-1, 1), so inputs
 * above 2-D give (N*..., 1) rows. The weighted loss is returned unreduced: (rows, 1).
 */
export const CosineEmbeddingLoss = defineLoss({
  name: 'CosineEmbeddingLoss',
  aliases: [],
  summary: 'Cosine distance between input1 and input2 for a target label of 1 or -1.',
  config: z.strictObject({
    weight: weightParam(null),
    batch_axis: batchAxisParam('Accepted for MXNet compatibility; the loss is not reduced.'),
    margin: numberParam(0, 'Margin of separation between correct and incorrect pair.'),
  }),
  inputs: () => [
    input.data('input1', 'A tensor of vectors along its last axis.'),
    input.data('input2', 'A tensor with the same number of elements as input1.'),
    input.comparedLabel('label', 'One value per vector pair: 1 (similar) or -1 (dissimilar); reshaped to (-1, 1).'),
    input.sampleWeight('Weighting tensor, broadcast against the (rows, 1) loss.'),
  ],
  shape: (config, shapes) => {
    const loss = 'CosineEmbeddingLoss';
    const x2 = shapes.input2!;
    requireSameSize(loss, 'input1', shapes.input1!, 'input2', x2);
    const dim = x2[x2.length - 1]!;
    const rows = sizeOf(x2) / dim;
    const labelRows = sizeOf(shapes.label!);
    const lossShape = broadcastOrThrow(loss, 'label', [labelRows, 1], 'the cosine similarity', [rows, 1]);
    return {
      views: { input1: x2, label: [labelRows, 1] },
      lossShape,
      reduction: 'none',
      appliedWeight: config.weight,
      detail: { rows, dim, margin: config.margin },
    };
  },
  sampleInputs: (size, rng) => {
    const [rows, dim] = sampleMatrix(size);
    return {
      input1: draw.normal([rows, dim], rng),
      input2: draw.normal([rows, dim], rng),
      label: draw.sign([rows], rng),
    };
  },
});
