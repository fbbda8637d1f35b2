import * as tf from '@tensorflow/tfjs';
import { pickIndex, type TypedData } from '@gluon-loss/spec';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';

/**
 * `-pick(log_softmax(pred, axis), label, axis, keepdims=True)` (sparse) or
 * `-sum(log_softmax(pred, axis) * label, axis, keepdims=True)` (dense); from_logits means
 * pred already is a log-probability. The loss keeps the class axis as 1, which is what
 * makes a (N,) sample_weight broadcast to (N, N) in MXNet.
 *
 * `pick` is a where() over a one-hot mask built in JS, not a gather: gather's gradient
 * needs UnsortedSegmentSum, which tfjs's wasm backend lacks and its cpu backend runs
 * very slowly. where() also copies the picked value exactly, where a multiply by a 0/1
 * mask would turn an unpicked -inf into NaN.
 */
export function softmaxCrossEntropyLoss(call: LossCall<'SoftmaxCrossEntropyLoss'>): tf.Tensor {
  const { axis, sparseLabel, fromLogits } = call.detail;
  const pred = call.input('pred');
  const logProbabilities = fromLogits ? pred : logSoftmax(pred, axis);
  if (!sparseLabel) return tf.neg(tf.sum(tf.mul(logProbabilities, call.input('label')), axis, true));
  const mask = tf.tensor(pickMask(call.data('label'), pred.shape, axis), pred.shape, 'bool');
  return tf.neg(tf.sum(tf.where(mask, logProbabilities, tf.zerosLike(logProbabilities)), axis, true));
}

/**
 * One true per position along `axis`, at the picked class: the spec's `pickIndex`
 * (MXNet's `pick` in its default 'clip' mode: cast toward zero, INT_MIN for what int32
 * cannot hold, then clipped into [0, classes - 1]; never an error).
 */
function pickMask(labels: TypedData, shape: readonly number[], axis: number): Uint8Array {
  const classes = shape[axis]!;
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const mask = new Uint8Array(labels.length * classes);
  for (let position = 0; position < labels.length; position++) {
    const outer = Math.floor(position / inner);
    const within = position % inner;
    const picked = pickIndex(labels[position]!, classes);
    mask[(outer * classes + picked) * inner + within] = 1;
  }
  return mask;
}
