import { z } from 'zod';
import { batchAxisParam, numberParam, weightParam } from '../config.js';
import { ShapeError } from '../errors.js';
import { defineLoss, input } from '../loss-spec.js';
import { requireNdim, sameShape } from '../shape.js';
import { formatShape } from '../tensor.js';
import { draw, sampleMatrix } from '../sample.js';

/**
 * Batchwise Smoothed Deep Metric Learning: `KLDivLoss(from_logits=True)` (which sums) of
 * `log_softmax(-squared_distances(x1, x2), axis=1)` against a smoothed identity
 * (`1 - s` on the diagonal, `s / (N - 1)` elsewhere). In 1.9.1 there is no batch-size
 * factor, and `weight` is stored but never applied; a batch of 1 divides by zero and
 * gives NaN.
 */
export const SDMLLoss = defineLoss({
  name: 'SDMLLoss',
  aliases: [],
  summary: 'Batchwise Smoothed Deep Metric Learning loss over paired minibatches.',
  config: z.strictObject({
    smoothing_parameter: numberParam(0.3, 'Probability mass spread over the rest of the minibatch; below 1.'),
    weight: weightParam(1, 'Stored by MXNet 1.9.1 but never applied.', true),
    batch_axis: batchAxisParam('Accepted for MXNet compatibility; the rows of x1 are the batch.'),
  }),
  inputs: () => [
    input.data('x1', 'Minibatch of vectors, shape (batch_size, dim).'),
    input.data('x2', 'Positive samples for the rows of x1, the same shape.'),
  ],
  shape: (config, shapes) => {
    const x1 = shapes.x1!;
    requireNdim('SDMLLoss', 'x1', x1, 2, '(batch_size, dim)');
    if (!sameShape(x1, shapes.x2!)) {
      throw new ShapeError({
        loss: 'SDMLLoss',
        argument: 'x2',
        expected: `the shape of x1 ${formatShape(x1)}`,
        received: formatShape(shapes.x2!),
      });
    }
    return {
      views: {},
      lossShape: [x1[0]!],
      reduction: 'none',
      appliedWeight: null,
      detail: { batch: x1[0]!, dim: x1[1]!, smoothing: config.smoothing_parameter },
    };
  },
  // Its cost grows with the square of the batch: a size picks at most 512 rows of 128.
  sampleInputs: (size, rng) => {
    const [rows, columns] = sampleMatrix(size);
    const shape = typeof size === 'number' ? [Math.min(rows, 512), Math.min(columns, 128)] : [rows, columns];
    return { x1: draw.normal(shape, rng), x2: draw.normal(shape, rng) };
  },
});
