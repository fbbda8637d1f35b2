import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';
import { broadcastTo } from '../ops/float32-sum.js';

/**
 * `label * (log(label + 1e-12) - pred)`, pred first log-softmaxed along `axis` unless
 * from_logits. pred and label broadcast (MXNet does not reshape the label); the sum over
 * the non-batch axes (1.9.x sums, 1.8 averaged) is the plan's reduction.
 *
 * Each broadcast is made explicit (`broadcastTo`) so that the gradient of the broadcast
 * operand is summed back as MXNet's float32 sum (ops/float32-sum.ts): over the ten
 * thousand elements a broadcast label can stand for, tfjs-wasm's plain float32 sum passes
 * MXNet's tolerance (issue 9).
 */
export function klDivLoss(call: LossCall<'KLDivLoss'>): tf.Tensor {
  const shape = call.plan.lossShape;
  const pred = call.input('pred');
  const logProbabilities = broadcastTo(call.detail.fromLogits ? pred : logSoftmax(pred, call.detail.axis), shape);
  // MXNet takes the log of the label in the label's own shape and broadcasts after it, so
  // the gradient through the log is summed over the broadcast *before* its 1 / (label +
  // 1e-12): a sum that overflows float32 there is Inf in MXNet (golden KLDivLoss/diff-1-879).
  const label = call.input('label');
  const logLabel = broadcastTo(tf.log(tf.add(label, 1e-12)), shape);
  return tf.mul(broadcastTo(label, shape), tf.sub(logLabel, logProbabilities));
}
