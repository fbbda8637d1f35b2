import { z } from 'zod';
import { batchAxisParam, weightParam } from '../config.js';
import { defineLoss } from '../loss-spec.js';
import { elementwiseInputs, elementwiseSample, elementwiseShape } from './elementwise.js';
import { draw } from '../sample.js';

/**
 * `mean(square(label - pred) * sample_weight * weight / 2)` over the non-batch axes.
 * MXNet's default weight is 1 and it applies `weight / 2`; `weight=None` makes MXNet
 * raise a TypeError (`None / 2`) at the first call, so the schema refuses `null`.
 */
export const L2Loss = defineLoss({
  name: 'L2Loss',
  aliases: [],
  summary: 'Calculates the mean squared error between label and pred.',
  config: z.strictObject({
    weight: weightParam(1, 'Global scalar weight for loss; MXNet applies `weight / 2`.'),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => elementwiseInputs('Target tensor with the same number of elements as pred.'),
  shape: (config, shapes) => elementwiseShape('L2Loss', shapes, config.weight / 2),
  sampleInputs: elementwiseSample(draw.normal),
});
