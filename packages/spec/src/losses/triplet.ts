import { z } from 'zod';
import { batchAxisParam, numberParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { normalizeAxisOrThrow, requireSameSize } from '../shape.js';
import { draw, sampleShape } from '../sample.js';

/**
 * `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`, the sum over
 * the non-batch axes. 1.9.1's forward takes no sample_weight.
 */
export const TripletLoss = defineLoss({
  name: 'TripletLoss',
  aliases: [],
  summary: 'Calculates triplet loss given three input tensors and a positive margin.',
  config: z.strictObject({
    margin: numberParam(1, 'Margin of separation between correct and incorrect pair.'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => [
    input.data('pred', 'Prediction tensor with arbitrary shape.'),
    input.data('positive', 'Positive example tensor, the same number of elements as pred.'),
    input.data('negative', 'Negative example tensor, the same number of elements as pred.'),
  ],
  shape: (config, shapes) => {
    const pred = shapes.pred!;
    requireSameSize('TripletLoss', 'positive', shapes.positive!, 'pred', pred);
    requireSameSize('TripletLoss', 'negative', shapes.negative!, 'pred', pred);
    const batchAxis = normalizeAxisOrThrow('TripletLoss', 'batch_axis', config.batch_axis, 'pred', pred);
    return {
      views: { positive: pred, negative: pred },
      lossShape: [pred[batchAxis]!],
      reduction: 'none',
      appliedWeight: config.weight,
      detail: { batchAxis, margin: config.margin },
    };
  },
  sampleInputs: (size, rng) => {
    const shape = sampleShape(size);
    return { pred: draw.normal(shape, rng), positive: draw.normal(shape, rng), negative: draw.normal(shape, rng) };
  },
});
