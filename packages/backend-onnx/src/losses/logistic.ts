import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/**
 * `relu(x) - x*z + softrelu(-|x|)`, where a signed label is first mapped by
 * `(z + 1) / 2` (a division, as MXNet writes it).
 */
export function logisticLoss({ ops, inputs, plan }: LossContext<'LogisticLoss'>): Value {
  const x = inputs.pred!;
  const z = plan.detail.signed ? ops.div(ops.add(inputs.label!, 1), 2) : inputs.label!;
  return ops.add(ops.sub(ops.relu(x), ops.mul(x, z)), ops.softrelu(ops.neg(ops.abs(x))));
}
