import { z } from 'zod';
import { batchAxisParam, boolParam, weightParam } from '../config.js';
import { defineLoss, input } from '../loss-spec.js';
import { broadcastOrThrow } from '../shape.js';
import { draw } from '../sample.js';
import { elementwiseSample, elementwiseShape } from './elementwise.js';

/**
 * Binary cross-entropy. Not from_sigmoid: the stable `relu(x) - x*z + softrelu(-|x|)`,
 * and with pos_weight `x - x*z + (1 + (pw-1)*z) * (softrelu(-|x|) + relu(-x))`.
 * from_sigmoid: `-(log(p + 1e-12) * z [* pw] + log(1 - p + 1e-12) * (1 - z))`.
 * pos_weight is broadcast against pred, so the loss takes the broadcast shape.
 */
export const SigmoidBinaryCrossEntropyLoss = defineLoss({
  name: 'SigmoidBinaryCrossEntropyLoss',
  aliases: ['SigmoidBCELoss'],
  summary: 'The cross-entropy loss for binary classification.',
  config: z.strictObject({
    from_sigmoid: boolParam(false, 'Whether pred already is a probability (the output of a sigmoid).'),
    weight: weightParam(null),
    batch_axis: batchAxisParam(),
  }),
  inputs: () => [
    input.data('pred', 'Prediction tensor with arbitrary shape.'),
    input.label('label', 'Target tensor with values in [0, 1], the same number of elements as pred.'),
    input.sampleWeight(),
    input.weight('pos_weight', 'Weight of positive examples, broadcast against pred (e.g. (1, classes)).'),
  ],
  shape: (config, shapes) => {
    const base = elementwiseShape('SigmoidBinaryCrossEntropyLoss', shapes, config.weight);
    const posWeight = shapes.pos_weight;
    if (posWeight === undefined) return { ...base, detail: { fromSigmoid: config.from_sigmoid } };
    const lossShape = broadcastOrThrow('SigmoidBinaryCrossEntropyLoss', 'pos_weight', posWeight, 'pred', shapes.pred!);
    return { ...base, lossShape, detail: { fromSigmoid: config.from_sigmoid } };
  },
  sampleInputs: elementwiseSample(draw.binary),
});
