import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** MXNet's `1e-12` inside the logs of the from_sigmoid form. */
const LOG_EPS = 1e-12;

/**
 * Not from_sigmoid, the stable form `relu(x) - x*z + softrelu(-|x|)`, or with pos_weight
 * `x - x*z + (1 + (pw - 1)*z) * (softrelu(-|x|) + relu(-x))`; from_sigmoid,
 * `-(log(p + 1e-12)*z [*pw] + log(1 - p + 1e-12)*(1 - z))`. Term order follows MXNet's.
 */
export function sigmoidBceLoss({ ops, inputs, plan }: LossContext<'SigmoidBinaryCrossEntropyLoss'>): Value {
  const x = inputs.pred!;
  const z = inputs.label!;
  const pw = inputs.pos_weight;
  if (plan.detail.fromSigmoid) {
    let positive = ops.mul(ops.log(ops.add(x, LOG_EPS)), z);
    if (pw !== undefined) positive = ops.mul(positive, pw);
    const negative = ops.mul(ops.log(ops.add(ops.sub(1, x), LOG_EPS)), ops.sub(1, z));
    return ops.neg(ops.add(positive, negative));
  }
  const softTail = ops.softrelu(ops.neg(ops.abs(x)));
  if (pw === undefined) return ops.add(ops.sub(ops.relu(x), ops.mul(x, z)), softTail);
  const logWeight = ops.add(ops.mul(ops.sub(pw, 1), z), 1);
  return ops.add(ops.sub(x, ops.mul(x, z)), ops.mul(logWeight, ops.add(softTail, ops.relu(ops.neg(x)))));
}
