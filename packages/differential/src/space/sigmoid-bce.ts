/** SigmoidBinaryCrossEntropyLoss: logits or probabilities, 0/1 or soft labels, pos_weight broadcasts. */
import { sizeOf } from '@gluon-loss/spec';
import type { CaseInputs } from '../case.js';
import {
  classOf,
  drawShape,
  floats,
  RANKS,
  specialTargets,
  WEIGHT_SHAPES,
  weightShape,
  type WeightShape,
} from './common.js';
import { defineSpace } from './define.js';
import { BATCH_AXES, WEIGHTS } from './elementwise.js';

export const SIGMOID_BCE_SPACE = defineSpace({
  loss: 'SigmoidBinaryCrossEntropyLoss',
  aliases: ['SigmoidBCELoss'],
  ranks: RANKS,
  config: { from_sigmoid: [undefined, true, false], weight: WEIGHTS, batch_axis: BATCH_AXES },
  options: {
    sample_weight: WEIGHT_SHAPES,
    pos_weight: ['none', 'full', 'broadcast', 'trailing', 'scalar'],
    label: ['binary', 'soft', 'int32'],
    label_shape: ['same', 'flat'],
    size: ['small', 'small', 'small', 'long'],
  },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const pred = draw.dims;
    const targets = specialTargets(rng, ['pred', 'label', 'sample_weight', 'pos_weight'], draw.valueClass);
    const cls = (n: string) => classOf(targets, n, draw.valueClass);
    const probabilities = draw.config.from_sigmoid === true;
    const inputs: CaseInputs = {
      pred: floats(rng, pred, cls('pred'), probabilities ? (r) => r.uniform(0, 1) : (r) => r.normal() * 3),
    };
    const labelShape = draw.options.label_shape === 'flat' ? [sizeOf(pred)] : [...pred];
    if (draw.options.label === 'int32') {
      inputs.label = { data: Int32Array.from({ length: sizeOf(labelShape) }, () => rng.int(0, 1)), shape: labelShape };
    } else {
      const soft = draw.options.label === 'soft';
      inputs.label = floats(rng, labelShape, cls('label'), (r) => (soft ? r.uniform(0, 1) : r.int(0, 1)));
    }
    const sw = weightShape(rng, draw.options.sample_weight as WeightShape, pred);
    if (sw !== undefined) inputs.sample_weight = floats(rng, sw, cls('sample_weight'), (r) => r.uniform(0, 2));
    const pw = weightShape(rng, draw.options.pos_weight as WeightShape, pred);
    if (pw !== undefined) inputs.pos_weight = floats(rng, pw, cls('pos_weight'), (r) => r.uniform(0, 3));
    return inputs;
  },
});
