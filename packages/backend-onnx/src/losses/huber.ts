import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/**
 * `where(|d| > rho, |d| - rho/2, (0.5/rho) * d^2)` with `d = label - pred`. The test is
 * strict, as MXNet's: at `|d| == rho` the quadratic branch is taken.
 */
export function huberLoss({ ops, inputs, plan }: LossContext<'HuberLoss'>): Value {
  const rho = plan.detail.rho;
  const distance = ops.abs(ops.sub(inputs.label!, inputs.pred!));
  return ops.where(ops.greater(distance, rho), ops.sub(distance, 0.5 * rho), ops.mul(ops.square(distance), 0.5 / rho));
}
