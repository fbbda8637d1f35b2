/**
 * The losses that compare pred with a same-sized label element by element: L2, L1, Huber,
 * Hinge, SquaredHinge and Logistic. They differ in their own parameters and in what a
 * label holds.
 */
import { sizeOf, type CanonicalLossName } from '@gluon-loss/spec';
import type { CaseInputs, LossSpace } from '../case.js';
import type { Rng } from '../rng.js';
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

type LabelKind = 'real' | 'signed' | 'binary';

export const BATCH_AXES = [undefined, 0, 1, -1, 2] as const;
export const WEIGHTS = [undefined, null, 1, 0, -2.5, 0.3, 1e3, 1e-20] as const;

function labelValue(kind: LabelKind): (r: Rng) => number {
  switch (kind) {
    case 'real':
      return (r) => r.normal() * 2;
    case 'signed':
      return (r) => (r.chance(0.5) ? -1 : 1);
    case 'binary':
      return (r) => (r.chance(0.5) ? 0 : 1);
  }
}

/** pred, a label of pred's size (its shape, or flattened) and an optional sample_weight. */
export function elementwiseSpace(
  loss: CanonicalLossName,
  params: Readonly<Record<string, readonly unknown[]>>,
  labelKinds: readonly LabelKind[],
): LossSpace {
  return defineSpace({
    loss,
    ranks: RANKS,
    config: { ...params, weight: WEIGHTS, batch_axis: BATCH_AXES },
    options: {
      sample_weight: WEIGHT_SHAPES,
      label: [...labelKinds, 'int32'],
      label_shape: ['same', 'flat'],
      size: ['small', 'small', 'small', 'long'],
    },
    dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
    build(draw, rng): CaseInputs {
      const pred = draw.dims;
      const targets = specialTargets(rng, ['pred', 'label', 'sample_weight'], draw.valueClass);
      const kind = draw.options.label === 'int32' ? labelKinds[0]! : (draw.options.label as LabelKind);
      const labelShape = draw.options.label_shape === 'flat' ? [sizeOf(pred)] : [...pred];
      const inputs: CaseInputs = { pred: floats(rng, pred, classOf(targets, 'pred', draw.valueClass)) };
      if (draw.options.label === 'int32') {
        const values = labelValue(kind === 'real' ? 'real' : kind);
        inputs.label = {
          data: Int32Array.from({ length: sizeOf(labelShape) }, () => Math.round(values(rng))),
          shape: labelShape,
        };
      } else {
        inputs.label = floats(rng, labelShape, classOf(targets, 'label', draw.valueClass), labelValue(kind));
      }
      const sw = weightShape(rng, draw.options.sample_weight as WeightShape, pred);
      if (sw !== undefined) {
        inputs.sample_weight = floats(rng, sw, classOf(targets, 'sample_weight', draw.valueClass), (r) =>
          r.uniform(0, 2),
        );
      }
      return inputs;
    },
  });
}

export const L2_SPACE = elementwiseSpace('L2Loss', {}, ['real']);
export const L1_SPACE = elementwiseSpace('L1Loss', {}, ['real']);
export const HUBER_SPACE = elementwiseSpace('HuberLoss', { rho: [undefined, 0.5, 2, 0, 1e-3, 1e3, -1] }, ['real']);
const MARGINS = [undefined, 0, 2, -1, 1e-3, 1e3] as const;
export const HINGE_SPACE = elementwiseSpace('HingeLoss', { margin: MARGINS }, ['signed', 'real']);
export const SQUARED_HINGE_SPACE = elementwiseSpace('SquaredHingeLoss', { margin: MARGINS }, ['signed', 'real']);
export const LOGISTIC_SPACE = elementwiseSpace('LogisticLoss', { label_format: [undefined, 'signed', 'binary'] }, [
  'signed',
  'binary',
  'real',
]);
