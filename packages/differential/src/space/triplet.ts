/** TripletLoss: pred, positive and negative of one size (reshaped to pred), summed per sample. */
import { sizeOf } from '@gluon-loss/spec';
import type { CaseInputs } from '../case.js';
import { classOf, drawShape, floats, RANKS, specialTargets } from './common.js';
import { defineSpace } from './define.js';
import { BATCH_AXES, WEIGHTS } from './elementwise.js';

export const TRIPLET_SPACE = defineSpace({
  loss: 'TripletLoss',
  ranks: RANKS,
  config: { margin: [undefined, 0, 2, -1, 1e-3, 1e3], weight: WEIGHTS, batch_axis: BATCH_AXES },
  options: { shapes: ['same', 'flat'], size: ['small', 'small', 'small', 'long'] },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const pred = draw.dims;
    const targets = specialTargets(rng, ['pred', 'positive', 'negative'], draw.valueClass);
    const other = draw.options.shapes === 'flat' ? [sizeOf(pred)] : [...pred];
    return {
      pred: floats(rng, pred, classOf(targets, 'pred', draw.valueClass)),
      positive: floats(rng, other, classOf(targets, 'positive', draw.valueClass)),
      negative: floats(rng, other, classOf(targets, 'negative', draw.valueClass)),
    };
  },
});
