import { z } from 'zod';
import { batchAxisParam, boolParam, intParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { normalizeAxisOrThrow, requireSameSize, sameShape } from '../shape.js';
import { ShapeError } from '../errors.js';
import { formatShape } from '../tensor.js';
import { draw } from '../sample.js';

/**
 * `-pick(log_softmax(pred, axis), label, axis, keepdims=True)` (sparse) or
 * `-sum(log_softmax(pred) * label, axis, keepdims=True)` (dense). The loss keeps the class
 * axis as size 1, so a sample_weight of shape (N,) broadcasts against (N, 1) to (N, N):
 * MXNet's result, kept. `pick` casts a float label toward zero and clips it into
 * [0, classes - 1] (mode 'clip'); it never rejects it, not even NaN or ±Inf, which pick
 * as class 0 (rules/pick.ts). from_logits means pred already is a log-probability.
 */
export const SoftmaxCrossEntropyLoss = defineLoss({
  name: 'SoftmaxCrossEntropyLoss',
  aliases: ['SoftmaxCELoss'],
  summary: 'Computes the softmax cross entropy loss.',
  config: z.strictObject({
    axis: intParam(-1, 'The axis to sum over when computing softmax and entropy.'),
    sparse_label: boolParam(true, 'Whether label is an integer array instead of a probability distribution.'),
    from_logits: boolParam(false, 'Whether pred already is a log probability (from log_softmax).'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: (config) => [
    input.data('pred', 'Prediction tensor; the axis dimension ranges over the classes.'),
    config.sparse_label
      ? input.indexLabel('label', "Class indices: pred's shape without the class axis (or with it as 1).")
      : input.label('label', 'Probability distribution, the same number of elements as pred.'),
    input.sampleWeight(),
  ],
  shape: (config, shapes) => {
    const loss = 'SoftmaxCrossEntropyLoss';
    const pred = shapes.pred!;
    const label = shapes.label!;
    const axis = normalizeAxisOrThrow(loss, 'axis', config.axis, 'pred', pred);
    const keptShape = pred.map((d, i) => (i === axis ? 1 : d));
    const views: Record<string, readonly number[]> = {};
    if (config.sparse_label) {
      const dropped = pred.filter((_, i) => i !== axis);
      // pick accepts the index with the class axis removed, or kept as size 1.
      if (!sameShape(label, dropped) && !sameShape(label, keptShape)) {
        throw new ShapeError({
          loss,
          argument: 'label',
          expected: `${formatShape(dropped)} or ${formatShape(keptShape)} (pred ${formatShape(pred)} without axis ${axis})`,
          received: formatShape(label),
        });
      }
      views.label = keptShape;
    } else {
      requireSameSize(loss, 'label', label, 'pred', pred);
      views.label = pred;
    }
    return {
      views,
      lossShape: keptShape,
      reduction: 'mean',
      appliedWeight: config.weight,
      detail: { axis, classes: pred[axis]!, sparseLabel: config.sparse_label, fromLogits: config.from_logits },
    };
  },
  // Sparse labels along the last axis; a size picks a power of ten of classes (10, 100,
  // 1000, ...) near its square root.
  sampleInputs: (size, rng) => {
    let shape: readonly number[];
    if (typeof size === 'number') {
      const classes = 10 ** Math.max(1, Math.round(Math.log10(Math.sqrt(Math.max(size, 1)))));
      shape = [Math.max(1, Math.round(size / classes)), classes];
    } else {
      shape = size;
    }
    const classes = shape[shape.length - 1]!;
    return { pred: draw.normal(shape, rng), label: draw.integers(shape.slice(0, -1), rng, classes) };
  },
});
