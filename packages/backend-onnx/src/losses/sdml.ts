import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** KLDivLoss's `1e-12` inside `log(label + 1e-12)`. */
const LOG_EPS = 1e-12;

/**
 * `KLDivLoss(from_logits=True)` (a sum over axis 1) of `log_softmax(-distances, axis=1)`
 * against the smoothed identity `eye*(1-s) + (1-eye)*s/(N-1)`, where
 * `distances[i, j] = sum((x1[i] - x2[j])^2)`. The targets are built in the graph with
 * MXNet's float32 operations, so a batch of 1 divides 0 by 0 and gives NaN as MXNet
 * does. The weight is never applied (1.9.1 stores it only).
 */
export function sdmlLoss({ ops, inputs, plan }: LossContext<'SDMLLoss'>): Value {
  const { batch, dim, smoothing } = plan.detail;
  const x1 = ops.reshape(inputs.x1!, [batch, 1, dim]);
  const x2 = ops.reshape(inputs.x2!, [1, batch, dim]);
  const distances = ops.reduceSum(ops.square(ops.sub(x1, x2)), [2]);
  const logProb = ops.logSoftmax(ops.neg(distances), 1);
  const eye = ops.graph.constant(
    Float32Array.from({ length: batch * batch }, (_, k) => (Math.floor(k / batch) === k % batch ? 1 : 0)),
    [batch, batch],
  );
  const targets = ops.add(ops.mul(eye, 1 - smoothing), ops.div(ops.mul(ops.sub(1, eye), smoothing), batch - 1));
  return ops.reduceSum(ops.mul(targets, ops.sub(ops.log(ops.add(targets, LOG_EPS)), logProb)), [1]);
}
