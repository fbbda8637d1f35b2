import { pickIndices } from '@gluon-loss/spec';
import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/**
 * `-pick(log_softmax(pred), label, axis, keepdims=True)` (sparse) or
 * `-sum(log_softmax(pred) * label, axis, keepdims=True)` (dense); from_logits skips the
 * log_softmax. The log_softmax's gradient is the closed form `g - softmax * sum(g)`
 * (ops.logSoftmax), more stable than differentiating through exp and log.
 *
 * The class each label picks is the spec's `pickIndex` (MXNet's cast toward zero, INT_MIN
 * for what int32 cannot hold, then the clip into [0, C-1]), applied on the host: the
 * label is fed as those class indices. The pick is a
 * `where` against a one-hot mask (Equal with the class indices), so a -inf log-probability
 * in another class cannot turn the sum into NaN (0 * -inf) and the gradient reaches only
 * the picked class. The dense sum is MXNet's float32 sum (ops.sumFloat32): a product
 * that overflows stays ±Inf through it.
 */
export function softmaxCrossEntropyLoss({ ops, inputs, plan, prepare }: LossContext<'SoftmaxCrossEntropyLoss'>): Value {
  const { axis, classes, sparseLabel, fromLogits } = plan.detail;
  const pred = inputs.pred!;
  const logProb = fromLogits ? pred : ops.logSoftmax(pred, axis);
  if (!sparseLabel) return ops.neg(ops.sumFloat32(ops.mul(logProb, inputs.label!), [axis], true));
  prepare('label', (call) => pickIndices(call.tensors.label!.data, classes));
  const classShape = pred.shape.map((d, i) => (i === axis ? d : 1));
  const classIndex = ops.graph.constant(
    Float32Array.from({ length: classes }, (_, c) => c),
    classShape,
  );
  const picked = ops.where(ops.equal(inputs.label!, classIndex), logProb, 0);
  return ops.neg(ops.reduceSum(picked, [axis], true));
}
