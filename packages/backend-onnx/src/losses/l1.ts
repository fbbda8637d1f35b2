import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** `abs(label - pred)`; abs's gradient at 0 is 0, as MXNet's. */
export function l1Loss({ ops, inputs }: LossContext<'L1Loss'>): Value {
  return ops.abs(ops.sub(inputs.label!, inputs.pred!));
}
