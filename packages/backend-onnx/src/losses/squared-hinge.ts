import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** `square(relu(margin - pred * label))`. */
export function squaredHingeLoss({ ops, inputs, plan }: LossContext): Value {
  return ops.square(ops.relu(ops.sub(plan.detail.margin as number, ops.mul(inputs.pred!, inputs.label!))));
}
