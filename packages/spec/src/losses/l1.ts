import { z } from 'zod';
import { batchAxisParam, weightParam } from '../config.js';
import { defineLoss } from '../loss-spec.js';
import { elementwiseInputs, elementwiseSample, elementwiseShape } from './elementwise.js';
import { draw } from '../sample.js';

/** `mean(abs(label - pred))` over the non-batch axes; the gradient of abs at 0 is 0. */
export const L1Loss = defineLoss({
  name: 'L1Loss',
  aliases: [],
  summary: 'Calculates the mean absolute error between label and pred.',
  config: z.strictObject({
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => elementwiseInputs('Target tensor with the same number of elements as pred.'),
  shape: (config, shapes) => elementwiseShape('L1Loss', shapes, config.weight),
  sampleInputs: elementwiseSample(draw.normal),
});
