import { z } from 'zod';
import { batchAxisParam, nonZeroNumberParam, weightParam } from '../config.js';
import { defineLoss } from '../loss-spec.js';
import { elementwiseInputs, elementwiseSample, elementwiseShape } from './elementwise.js';
import { draw } from '../sample.js';

/**
 * `where(|d| > rho, |d| - rho/2, (0.5/rho) * d^2)` with `d = label - pred`: at
 * `|d| == rho` MXNet takes the quadratic branch. rho = 0 raises ZeroDivisionError in MXNet
 * (`0.5 / rho`), so it is a ConfigError; a negative rho is accepted (every |d| takes the
 * linear branch), and so is a tiny one whose `0.5 / rho` overflows float32 to +inf.
 */
export const HuberLoss = defineLoss({
  name: 'HuberLoss',
  aliases: [],
  summary: 'Smoothed L1 loss: L1 where the absolute error exceeds rho, L2 below it.',
  config: z.strictObject({
    rho: nonZeroNumberParam(1, 'Threshold for trimmed mean estimator.'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => elementwiseInputs('Target tensor with the same number of elements as pred.'),
  shape: (config, shapes) => ({ ...elementwiseShape('HuberLoss', shapes, config.weight), detail: { rho: config.rho } }),
  sampleInputs: elementwiseSample(draw.normal),
});
