import { z } from 'zod';
import { batchAxisParam, boolParam, intParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { broadcastOrThrow, normalizeAxisOrThrow } from '../shape.js';
import { draw, sampleShape } from '../sample.js';

/**
 * `label * (log(label + 1e-12) - pred)`, with `pred = log_softmax(pred, axis)` when not
 * from_logits. MXNet 1.9.x *sums* over the non-batch axes (its docstring says averaged;
 * 1.8 averaged). The label is not reshaped: pred and label broadcast.
 */
export const KLDivLoss = defineLoss({
  name: 'KLDivLoss',
  aliases: [],
  summary: 'The Kullback-Leibler divergence loss.',
  config: z.strictObject({
    from_logits: boolParam(true, 'Whether pred already is a log probability (from log_softmax).'),
    axis: intParam(-1, 'The axis of the softmax; only used when from_logits is false.'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => [
    input.data('pred', 'Log-probabilities (from_logits) or unnormalised predictions.'),
    input.label('label', 'Truth distribution, broadcast against pred.'),
    input.sampleWeight(),
  ],
  shape: (config, shapes) => {
    const pred = shapes.pred!;
    const axis = config.from_logits ? -1 : normalizeAxisOrThrow('KLDivLoss', 'axis', config.axis, 'pred', pred);
    return {
      views: {},
      lossShape: broadcastOrThrow('KLDivLoss', 'label', shapes.label!, 'pred', pred),
      reduction: 'sum',
      appliedWeight: config.weight,
      detail: { fromLogits: config.from_logits, axis },
    };
  },
  // from_logits (the default): pred is a log-probability, label a distribution.
  sampleInputs: (size, rng) => {
    const shape = sampleShape(size);
    return { pred: draw.distribution(shape, rng, true), label: draw.distribution(shape, rng) };
  },
});
