import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';

/**
 * `label * (log(label + 1e-12) - pred)`, pred first log-softmaxed along `axis` unless
 * from_logits. pred and label broadcast (MXNet does not reshape the label); the sum over
 * the non-batch axes (1.9.x sums, 1.8 averaged) is the plan's reduction.
 */
export function klDivLoss(call: LossCall<'KLDivLoss'>): tf.Tensor {
  const pred = call.input('pred');
  const logProbabilities = call.detail.fromLogits ? pred : logSoftmax(pred, call.detail.axis);
  const label = call.input('label');
  return tf.mul(label, tf.sub(tf.log(tf.add(label, 1e-12)), logProbabilities));
}
