/** PoissonNLLLoss: log-rates or rates, counts (0 included: compute_full's 0 * log 0), epsilon. */
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

export const POISSON_NLL_SPACE = defineSpace({
  loss: 'PoissonNLLLoss',
  ranks: RANKS,
  config: {
    from_logits: [undefined, true, false],
    compute_full: [undefined, true, false],
    weight: WEIGHTS,
    batch_axis: BATCH_AXES,
  },
  options: {
    target: ['counts', 'real', 'int32'],
    target_shape: ['same', 'flat'],
    epsilon: ['default', 'zero', 'large', 'negative'],
    sample_weight: WEIGHT_SHAPES,
    size: ['small', 'small', 'small', 'long'],
  },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const pred = draw.dims;
    const targets = specialTargets(rng, ['pred', 'target', 'sample_weight'], draw.valueClass);
    const cls = (n: string) => classOf(targets, n, draw.valueClass);
    const rates = draw.config.from_logits === false;
    const inputs: CaseInputs = {
      pred: floats(rng, pred, cls('pred'), rates ? (r) => r.uniform(0, 4) : (r) => r.normal()),
    };
    const shape = draw.options.target_shape === 'flat' ? [sizeOf(pred)] : [...pred];
    if (draw.options.target === 'int32') {
      inputs.target = { data: Int32Array.from({ length: sizeOf(shape) }, () => rng.int(0, 6)), shape };
    } else {
      const real = draw.options.target === 'real';
      inputs.target = floats(rng, shape, cls('target'), (r) => (real ? r.uniform(0, 5) : r.int(0, 6)));
    }
    const sw = weightShape(rng, draw.options.sample_weight as WeightShape, pred);
    if (sw !== undefined) inputs.sample_weight = floats(rng, sw, cls('sample_weight'), (r) => r.uniform(0, 2));
    const epsilon = { default: undefined, zero: 0, large: 0.5, negative: -1e-3 }[draw.options.epsilon as 'default'];
    if (epsilon !== undefined) inputs.epsilon = epsilon;
    return inputs;
  },
});
