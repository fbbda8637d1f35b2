import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** MXNet's `1e-12` inside `log(label + 1e-12)`. */
const LOG_EPS = 1e-12;

/**
 * `label * (log(label + 1e-12) - pred)`, with `pred = log_softmax(pred, axis)` unless
 * from_logits; pred and label broadcast (MXNet does not reshape the label). The 1.9.x
 * sum over the non-batch axes is the base rules' 'sum' reduction.
 */
export function klDivLoss({ ops, inputs, plan }: LossContext<'KLDivLoss'>): Value {
  const { fromLogits, axis } = plan.detail;
  const label = inputs.label!;
  const logProb = fromLogits ? inputs.pred! : ops.logSoftmax(inputs.pred!, axis);
  return ops.mul(label, ops.sub(ops.log(ops.add(label, LOG_EPS)), logProb));
}
