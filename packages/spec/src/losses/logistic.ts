import { z } from 'zod';
import { batchAxisParam, enumParam, weightParam } from '../config.js';
import { defineLoss } from '../loss-spec.js';
import { elementwiseInputs, elementwiseSample, elementwiseShape } from './elementwise.js';
import { draw } from '../sample.js';

/**
 * `relu(x) - x*z + softrelu(-|x|)` with `z = (label + 1) / 2` for the signed format and
 * `z = label` for binary. MXNet raises a ValueError for any other format, in the
 * constructor; the schema's enum does the same.
 */
export const LogisticLoss = defineLoss({
  name: 'LogisticLoss',
  aliases: [],
  summary: 'Calculates the logistic loss (for binary losses only).',
  config: z.strictObject({
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
    label_format: enumParam(
      ['signed', 'binary'] as const,
      'signed',
      "'signed' labels are -1/1 and mapped by (label + 1) / 2; 'binary' labels are 0/1.",
    ),
  }),
  inputs: () =>
    elementwiseInputs('Truth tensor with values -1/1 (signed) or 0/1 (binary), the same number of elements as pred.'),
  shape: (config, shapes) => ({
    ...elementwiseShape('LogisticLoss', shapes, config.weight),
    detail: { signed: config.label_format === 'signed' },
  }),
  // The default label_format is 'signed'.
  sampleInputs: elementwiseSample(draw.sign),
});
