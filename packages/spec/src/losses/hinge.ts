import { z } from 'zod';
import { batchAxisParam, numberParam, weightParam } from '../config.js';
import { defineLoss } from '../loss-spec.js';
import { elementwiseInputs, elementwiseSample, elementwiseShape } from './elementwise.js';
import { draw } from '../sample.js';

/** `relu(margin - pred * label)`; relu's gradient at 0 is 0. */
export const HingeLoss = defineLoss({
  name: 'HingeLoss',
  aliases: [],
  summary: 'Calculates the hinge loss function often used in SVMs.',
  config: z.strictObject({
    margin: numberParam(1, 'The margin in hinge loss.'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => elementwiseInputs('Truth tensor with values -1 or 1, the same number of elements as pred.'),
  shape: (config, shapes) => ({
    ...elementwiseShape('HingeLoss', shapes, config.weight),
    detail: { margin: config.margin },
  }),
  sampleInputs: elementwiseSample(draw.sign),
});
