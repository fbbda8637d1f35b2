import * as tf from '@tensorflow/tfjs';
import { pickIndex, type TypedData } from '@gluon-loss/spec';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';
import { float32Sum } from '../ops/float32-sum.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

/**
 * `-pick(log_softmax(pred, axis), label, axis, keepdims=True)` (sparse) or
 * `-sum(log_softmax(pred, axis) * label, axis, keepdims=True)` (dense); from_logits means
 * pred already is a log-probability. The loss keeps the class axis as 1, which is what
 * makes a (N,) sample_weight broadcast to (N, N) in MXNet.
 *
 * `pick` is a where() over a one-hot mask built in JS, not a gather: gather's gradient
 * needs UnsortedSegmentSum, which tfjs's wasm backend lacks and its cpu backend runs
 * very slowly. where() also copies the picked value exactly, where a multiply by a 0/1
 * mask would turn an unpicked -inf into NaN. Its gradient is pick's (see `pick`).
 */
export function softmaxCrossEntropyLoss(call: LossCall<'SoftmaxCrossEntropyLoss'>): tf.Tensor {
  const { axis, sparseLabel, fromLogits } = call.detail;
  const pred = call.input('pred');
  const logProbabilities = fromLogits ? pred : logSoftmax(pred, axis);
  if (!sparseLabel) return tf.neg(float32Sum(tf.mul(logProbabilities, call.input('label')), [axis], true));
  const mask = tf.tensor(pickMask(call.data('label'), pred.shape, axis), pred.shape, 'bool');
  return tf.neg(pick(logProbabilities, mask, axis));
}

/**
 * `pick(x, label, axis, keepdims=True)` as a where() over the one-hot `mask`, with MXNet's
 * backward of pick: the head gradient scattered to the picked class, an exact 0 in every
 * other class. tfjs's own gradient of where() multiplies the head by the mask, and an
 * infinite head (an Inf sample_weight, an overflowing weight) times 0 is NaN in the
 * classes MXNet leaves at 0 (issue 9).
 */
function pick(x: tf.Tensor, mask: tf.Tensor, axis: number): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    // The mask is made outside this op's forward: kept for the backward by save().
    save([mask]);
    return {
      value: tf.sum(tf.where(mask, input, tf.zerosLike(input)), axis, true),
      gradFunc: (dy, [kept]) => tf.where(kept!, tf.broadcastTo(dy, kept!.shape), tf.zeros(kept!.shape)),
    };
  })(x);
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
