import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** `relu(margin - pred * label)`; relu's gradient at 0 is 0. */
export function hingeLoss({ ops, inputs, plan }: LossContext<'HingeLoss'>): Value {
  return ops.relu(ops.sub(plan.detail.margin, ops.mul(inputs.pred!, inputs.label!)));
}
