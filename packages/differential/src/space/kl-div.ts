/** KLDivLoss: log-probabilities or logits (then axis), a label that broadcasts against pred. */
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

export const KL_DIV_SPACE = defineSpace({
  loss: 'KLDivLoss',
  ranks: RANKS,
  config: {
    from_logits: [undefined, true, false],
    axis: [undefined, 0, 1, -2],
    weight: WEIGHTS,
    batch_axis: BATCH_AXES,
  },
  options: {
    label_shape: ['same', 'broadcast'],
    label: ['distribution', 'zeros', 'real'],
    sample_weight: WEIGHT_SHAPES,
    size: ['small', 'small', 'small', 'long'],
  },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const pred = draw.dims;
    const targets = specialTargets(rng, ['pred', 'label', 'sample_weight'], draw.valueClass);
    const cls = (n: string) => classOf(targets, n, draw.valueClass);
    const logits = draw.config.from_logits === false;
    const inputs: CaseInputs = {
      pred: floats(rng, pred, cls('pred'), logits ? (r) => r.normal() * 3 : (r) => -Math.abs(r.normal() * 2)),
    };
    const labelShape =
      draw.options.label_shape === 'broadcast' ? pred.map((d) => (rng.chance(0.5) ? 1 : d)) : [...pred];
    const value =
      draw.options.label === 'zeros'
        ? (r: typeof rng) => (r.chance(0.5) ? 0 : r.uniform(0, 1))
        : draw.options.label === 'real'
          ? (r: typeof rng) => r.normal()
          : (r: typeof rng) => r.uniform(0, 1);
    inputs.label = floats(rng, labelShape, cls('label'), value);
    const sw = weightShape(rng, draw.options.sample_weight as WeightShape, pred);
    if (sw !== undefined) inputs.sample_weight = floats(rng, sw, cls('sample_weight'), (r) => r.uniform(0, 2));
    return inputs;
  },
});
