import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** `square(label - pred)`; the base rules apply MXNet's `weight / 2` and the mean. */
export function l2Loss({ ops, inputs }: LossContext<'L2Loss'>): Value {
  return ops.square(ops.sub(inputs.label!, inputs.pred!));
}
