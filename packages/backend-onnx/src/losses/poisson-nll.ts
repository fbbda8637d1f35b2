import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/**
 * from_logits: `exp(pred) - target * pred`; otherwise `pred - target * log(pred + epsilon)`
 * (epsilon is a call-time input, so a new value needs no new session). compute_full adds
 * the Stirling term `target*log(target) - target + 0.5*log(2*target*pi)` times
 * `target > 1` as a float mask: a product, not a `where`, so target == 0 gives NaN
 * (0 * -inf) exactly as in MXNet.
 */
export function poissonNllLoss({ ops, inputs, scalars, plan }: LossContext<'PoissonNLLLoss'>): Value {
  const { fromLogits, computeFull } = plan.detail;
  const pred = inputs.pred!;
  const target = inputs.target!;
  let loss = fromLogits
    ? ops.sub(ops.exp(pred), ops.mul(target, pred))
    : ops.sub(pred, ops.mul(target, ops.log(ops.add(pred, scalars.epsilon!))));
  if (computeFull) {
    const stirling = ops.add(
      ops.sub(ops.mul(target, ops.log(target)), target),
      ops.mul(ops.log(ops.mul(ops.mul(target, 2), Math.PI)), 0.5),
    );
    loss = ops.add(loss, ops.mul(stirling, ops.cast(ops.greater(target, 1), 'float32')));
  }
  return loss;
}
