/**
 * SoftmaxCrossEntropyLoss: any rank and class axis; sparse labels that are class indices,
 * out of range, not integers, at int32's limits or beyond (MXNet's pick casts, then clips),
 * or dense distributions.
 */
import { sizeOf, type Shape } from '@gluon-loss/spec';
import type { CaseInputs } from '../case.js';
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
import { BATCH_AXES, WEIGHTS } from './elementwise.js';

const SPARSE = ['classes', 'int32', 'out-of-range', 'non-integer', 'int32-limits', 'nonfinite'] as const;
const DENSE = ['dense-distribution', 'dense-real'] as const;

/** Values at and beyond int32's limits, where MXNet's cast to int32 overflows. */
const INT32_LIMITS = [2147483647, -2147483648, 2147483648, -2147483904, 3e9, 1e10, -1e10, 3.4e38, -3.4e38];

function sparseLabel(rng: Rng, kind: string, classes: number): number {
  switch (kind) {
    case 'out-of-range':
      return rng.chance(0.5) ? -rng.int(1, 5) : classes + rng.int(0, 5);
    case 'non-integer':
      return rng.uniform(-1.5, classes + 0.5);
    case 'int32-limits':
      return rng.chance(0.5) ? rng.pick(INT32_LIMITS) : rng.int(0, classes - 1);
    case 'nonfinite':
      return rng.chance(0.5) ? rng.pick([NaN, Infinity, -Infinity]) : rng.int(0, classes - 1);
    default:
      return rng.int(0, classes - 1);
  }
}

function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

export const SOFTMAX_CE_SPACE = defineSpace({
  loss: 'SoftmaxCrossEntropyLoss',
  aliases: ['SoftmaxCELoss'],
  ranks: RANKS,
  config: {
    axis: [undefined, 0, 1, -2],
    from_logits: [undefined, true, false],
    weight: WEIGHTS,
    batch_axis: BATCH_AXES,
  },
  options: {
    label: [...SPARSE, ...DENSE],
    label_shape: ['dropped', 'kept'],
    sample_weight: WEIGHT_SHAPES,
    size: ['small', 'small', 'small', 'long'],
  },
  adjust: (draw) => {
    const dense = (DENSE as readonly string[]).includes(draw.options.label!);
    return { ...draw, config: { ...draw.config, ...(dense ? { sparse_label: false } : {}) } };
  },
  dims: (rng, rank, draw) => drawShape(rng, rank, draw.options.size === 'long'),
  build(draw, rng): CaseInputs {
    const pred = draw.dims;
    const axis = normalizeAxis((draw.config.axis as number | undefined) ?? -1, pred.length) ?? pred.length - 1;
    const classes = pred[axis]!;
    const targets = specialTargets(rng, ['pred', 'label', 'sample_weight'], draw.valueClass);
    const cls = (n: string) => classOf(targets, n, draw.valueClass);
    const logProbabilities = draw.config.from_logits === true;
    const inputs: CaseInputs = {
      pred: floats(rng, pred, cls('pred'), logProbabilities ? (r) => -Math.abs(r.normal() * 2) : (r) => r.normal() * 3),
    };
    const kept: Shape = pred.map((d, i) => (i === axis ? 1 : d));
    const kind = draw.options.label!;
    if (draw.config.sparse_label === false) {
      const shape = draw.options.label_shape === 'kept' ? [sizeOf(pred)] : [...pred];
      const value = kind === 'dense-real' ? (r: Rng) => r.normal() : (r: Rng) => r.uniform(0, 2 / classes);
      inputs.label = floats(rng, shape, cls('label'), value);
    } else {
      const shape = draw.options.label_shape === 'kept' ? [...kept] : pred.filter((_, i) => i !== axis);
      const labelShape = shape.length === 0 ? [1] : shape;
      const n = sizeOf(labelShape);
      inputs.label =
        kind === 'int32'
          ? { data: Int32Array.from({ length: n }, () => rng.int(0, classes - 1)), shape: labelShape }
          : { data: Float32Array.from({ length: n }, () => sparseLabel(rng, kind, classes)), shape: labelShape };
    }
    const sw = weightShape(rng, draw.options.sample_weight as WeightShape, kept);
    if (sw !== undefined) inputs.sample_weight = floats(rng, sw, cls('sample_weight'), (r) => r.uniform(0, 2));
    return inputs;
  },
});
