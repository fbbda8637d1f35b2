import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/**
 * `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`, the sum over
 * every axis of pred but the batch axis (positive and negative read with pred's shape),
 * as MXNet's float32 sum (ops.sumFloat32).
 */
export function tripletLoss({ ops, inputs, plan }: LossContext<'TripletLoss'>): Value {
  const { batchAxis, margin } = plan.detail;
  const pred = inputs.pred!;
  const gap = ops.sub(ops.square(ops.sub(inputs.positive!, pred)), ops.square(ops.sub(inputs.negative!, pred)));
  const summed = ops.sumFloat32(
    gap,
    pred.shape.map((_, i) => i).filter((i) => i !== batchAxis),
  );
  return ops.relu(ops.add(summed, margin));
}
