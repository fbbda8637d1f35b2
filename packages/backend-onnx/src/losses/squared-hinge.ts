import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** `square(relu(margin - pred * label))`. */
export function squaredHingeLoss({ ops, inputs, plan }: LossContext<'SquaredHingeLoss'>): Value {
  return ops.square(ops.relu(ops.sub(plan.detail.margin, ops.mul(inputs.pred!, inputs.label!))));
}
