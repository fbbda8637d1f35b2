/**
 * The shape rule shared by the losses that compare `pred` with a same-sized `label`
 * element by element (L1, L2, Huber, Hinge, SquaredHinge, Logistic): MXNet reshapes the
 * label to pred's shape, and the unweighted loss has pred's shape.
 */
import { requireSameSize } from '../shape.js';
import type { FloatTensor, Shape } from '../tensor.js';
import { draw, sampleShape, type Rng, type SampleSize } from '../sample.js';
import type { LossShape } from '../loss-spec.js';

/** The detail of a loss whose backends need no facts beyond the shapes. */
export type NoDetail = Readonly<Record<never, never>>;
import { input, type InputSpec } from '../loss-spec.js';

export function elementwiseInputs(labelDescription: string): readonly InputSpec[] {
  return [
    input.data('pred', 'Prediction tensor with arbitrary shape.'),
    input.label('label', labelDescription),
    input.sampleWeight(),
  ];
}

export function elementwiseShape(
  loss: string,
  shapes: Readonly<Record<string, Shape>>,
  appliedWeight: number | null,
  labelName = 'label',
): LossShape<NoDetail> {
  const pred = shapes.pred!;
  requireSameSize(loss, labelName, shapes[labelName]!, 'pred', pred);
  return {
    views: { [labelName]: pred },
    lossShape: pred,
    reduction: 'mean',
    appliedWeight,
    detail: {},
  };
}

/** Sample inputs of an elementwise loss: a normal pred and a label drawn by `label`. */
export function elementwiseSample(
  label: (shape: Shape, rng: Rng) => FloatTensor,
  labelName = 'label',
): (size: SampleSize, rng: Rng) => Readonly<Record<string, FloatTensor>> {
  return (size, rng) => {
    const shape = sampleShape(size);
    return { pred: draw.normal(shape, rng), [labelName]: label(shape, rng) };
  };
}
