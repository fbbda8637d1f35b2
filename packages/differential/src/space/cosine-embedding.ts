/** CosineEmbeddingLoss: vectors along the last axis, labels 1 / -1 (or neither), zero vectors. */
import { sizeOf } from '@gluon-loss/spec';
import type { CaseInputs } from '../case.js';
import { classOf, drawShape, floats, RANKS, specialTargets, weightShape, type WeightShape } from './common.js';
import { defineSpace } from './define.js';
import { BATCH_AXES, WEIGHTS } from './elementwise.js';

export const COSINE_SPACE = defineSpace({
  loss: 'CosineEmbeddingLoss',
  ranks: RANKS,
  config: { margin: [undefined, 0.5, -0.5, 1, 2], weight: WEIGHTS, batch_axis: BATCH_AXES },
  options: {
    label: ['signed', 'other-values', 'int32'],
    vectors: ['random', 'some-zero', 'some-equal'],
    input2_shape: ['same', 'flat-rows'],
    sample_weight: ['none', 'full', 'scalar', 'broadcast'],
    size: ['small', 'small', 'small', 'long'],
  },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const shape = draw.dims;
    const dim = shape[shape.length - 1]!;
    const rows = sizeOf(shape) / dim;
    const targets = specialTargets(rng, ['input1', 'input2', 'sample_weight'], draw.valueClass);
    const cls = (n: string) => classOf(targets, n, draw.valueClass);
    const input1 = floats(rng, shape, cls('input1'));
    const input2 = floats(rng, draw.options.input2_shape === 'flat-rows' ? [rows, dim] : shape, cls('input2'));
    if (draw.options.vectors !== 'random') {
      for (let row = 0; row < rows; row++) {
        if (!rng.chance(0.4)) continue;
        for (let j = 0; j < dim; j++) {
          if (draw.options.vectors === 'some-zero') (rng.chance(0.5) ? input1 : input2).data[row * dim + j] = 0;
          else input2.data[row * dim + j] = input1.data[row * dim + j]!;
        }
      }
    }
    const label =
      draw.options.label === 'int32'
        ? { data: Int32Array.from({ length: rows }, () => (rng.chance(0.5) ? 1 : -1)), shape: [rows] }
        : {
            data: Float32Array.from({ length: rows }, () =>
              draw.options.label === 'other-values' && rng.chance(0.4)
                ? rng.pick([0, 2, 0.5, -3])
                : rng.chance(0.5)
                  ? 1
                  : -1,
            ),
            shape: [rows],
          };
    const inputs: CaseInputs = { input1, input2, label };
    const sw = weightShape(rng, draw.options.sample_weight as WeightShape, [rows, 1]);
    if (sw !== undefined) inputs.sample_weight = floats(rng, sw, cls('sample_weight'), (r) => r.uniform(0, 2));
    return inputs;
  },
});
