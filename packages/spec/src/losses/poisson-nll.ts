import { z } from 'zod';
import { batchAxisParam, boolParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { requireSameSize } from '../shape.js';
import { draw } from '../sample.js';
import { elementwiseSample } from './elementwise.js';

/**
 * from_logits: `exp(pred) - target * pred`; otherwise `pred - target * log(pred + epsilon)`.
 * compute_full adds the Stirling term `target*log(target) - target + 0.5*log(2*pi*target)`
 * times `target > 1`, so target == 0 gives NaN (0 * -inf), as in MXNet. The result is
 * `mean(loss)` over every element, shape (1,): batch_axis is accepted and ignored.
 */
export const PoissonNLLLoss = defineLoss({
  name: 'PoissonNLLLoss',
  aliases: [],
  summary: 'Negative log likelihood loss for a Poisson-distributed target.',
  config: z.strictObject({
    weight: weightParam(null),
    from_logits: boolParam(true, 'Whether pred already is log(predicted rate).'),
    batch_axis: batchAxisParam('Accepted for MXNet compatibility; the loss is a mean over every element.'),
    compute_full: boolParam(false, 'Whether to add the Stirling approximation of log(target!).'),
  }),
  inputs: () => [
    input.data('pred', 'Predicted value (its log when from_logits).'),
    input.label('target', 'Random variable (count) with the same number of elements as pred.'),
    input.sampleWeight(),
    input.scalar('epsilon', 1e-8, 'Added inside the log when from_logits is false (a call-time argument).'),
  ],
  shape: (config, shapes) => {
    requireSameSize('PoissonNLLLoss', 'target', shapes.target!, 'pred', shapes.pred!);
    return {
      views: { target: shapes.pred! },
      lossShape: shapes.pred!,
      reduction: 'mean-all',
      appliedWeight: config.weight,
      detail: { fromLogits: config.from_logits, computeFull: config.compute_full },
    };
  },
  // Counts 0..7.
  sampleInputs: elementwiseSample((shape, rng) => draw.integers(shape, rng, 8), 'target'),
});
