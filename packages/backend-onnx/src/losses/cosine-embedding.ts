import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** MXNet's floor under the product of the norms. */
const NORM_FLOOR = 1e-12;

/**
 * Cosine similarity along the last axis, `dot / maximum(|x| * |y|, 1e-12)`, as (rows, 1);
 * then `(1 - cos) * (label == 1) + maximum(0, (label == -1) * (cos - margin))`. Both
 * maximums are MXNet's broadcast_maximum, whose gradient goes to its first argument on a
 * tie. The norm is `sqrt(sum(x^2))`, so a zero vector's gradient is 0/0 = NaN, as MXNet's.
 */
export function cosineEmbeddingLoss({ ops, inputs, plan }: LossContext<'CosineEmbeddingLoss'>): Value {
  const { rows, margin } = plan.detail;
  const x = inputs.input1!;
  const y = inputs.input2!;
  const label = inputs.label!;
  const last = x.shape.length - 1;
  const rowsOf = (v: Value): Value => ops.reshape(v, [rows, 1]);
  const xNorm = rowsOf(ops.sqrt(ops.reduceSum(ops.square(x), [last])));
  const yNorm = rowsOf(ops.sqrt(ops.reduceSum(ops.square(y), [last])));
  const dot = rowsOf(ops.reduceSum(ops.mul(x, y), [last]));
  const cos = ops.div(dot, ops.maximum(ops.mul(xNorm, yNorm), ops.graph.constant([NORM_FLOOR], [1, 1])));
  const similar = ops.cast(ops.equal(label, 1), 'float32');
  const dissimilar = ops.cast(ops.equal(label, -1), 'float32');
  const pull = ops.mul(ops.sub(1, cos), similar);
  const push = ops.maximum(ops.graph.constant([0], [1, 1]), ops.mul(dissimilar, ops.sub(cos, margin)));
  return ops.add(pull, push);
}
