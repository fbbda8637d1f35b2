/** SDMLLoss: two (N, D) minibatches, smoothing in [0, 1), batch of one included. */
import type { CaseInputs } from '../case.js';
import { classOf, floats, specialTargets } from './common.js';
import { defineSpace } from './define.js';

export const SDML_SPACE = defineSpace({
  loss: 'SDMLLoss',
  ranks: [2],
  config: { smoothing_parameter: [undefined, 0, 0.1, 0.9, 0.5], weight: [undefined, null, 2, -1] },
  options: { batch: ['few', 'one', 'many'], scale: ['unit', 'far', 'near'] },
  dims: (rng, _rank, draw) => {
    const n = draw.options.batch === 'one' ? 1 : draw.options.batch === 'many' ? rng.int(16, 128) : rng.int(2, 8);
    return [n, rng.chance(0.1) ? rng.int(64, 256) : rng.int(1, 12)];
  },
  build(draw, rng): CaseInputs {
    const [n, d] = [Math.max(1, draw.dims[0] ?? 1), Math.max(1, draw.dims[1] ?? 1)];
    const targets = specialTargets(rng, ['x1', 'x2'], draw.valueClass);
    const scale = { unit: 1, far: 30, near: 1e-3 }[draw.options.scale as 'unit'];
    const x1 = floats(rng, [n, d], classOf(targets, 'x1', draw.valueClass), (r) => r.normal() * scale);
    const x2 = floats(rng, [n, d], classOf(targets, 'x2', draw.valueClass), (r) => r.normal() * scale);
    return { x1, x2 };
  },
  rankOf: () => 2,
});
