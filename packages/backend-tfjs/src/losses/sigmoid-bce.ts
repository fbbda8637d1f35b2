import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { absWithSignGradient } from '../ops/abs.js';
import { broadcastTo } from '../ops/float32-sum.js';
import { reluKeepingNaN } from '../ops/relu.js';
import { softreluOfNonPositive } from '../ops/softrelu.js';

/** MXNet adds it inside both logs when pred already is a probability. */
const LOG_EPSILON = 1e-12;

/**
 * Binary cross-entropy, term for term as MXNet 1.9.1 writes it (the order of the
 * operations decides where NaN and infinities come out):
 * - logits, no pos_weight: `relu(x) - x*z + softrelu(-|x|)`;
 * - logits, pos_weight: `x - x*z + (1 + (pw - 1)*z) * (softrelu(-|x|) + relu(-x))`;
 * - probabilities: `-(log(p + eps)*z [*pw] + log(1 - p + eps)*(1 - z))`.
 */
export function sigmoidBceLoss(call: LossCall<'SigmoidBinaryCrossEntropyLoss'>): tf.Tensor {
  const pred = call.input('pred');
  const label = call.input('label');
  // pos_weight broadcast first (its gradient then MXNet's float32 sum over the broadcast
  // axes): tfjs-wasm's own broadcast gradient, a plain float32 sum, was 1.2e-4 off MXNet's
  // over 53,000 elements (nightly seed 202612021, SigmoidBCE case 95).
  const posWeight = call.has('pos_weight') ? broadcastOperand(call.input('pos_weight'), label) : undefined;
  if (!call.detail.fromSigmoid) {
    const softTerm = softreluOfNonPositive(tf.neg(absWithSignGradient(pred)));
    if (posWeight === undefined) return tf.add(tf.sub(reluKeepingNaN(pred), tf.mul(pred, label)), softTerm);
    const logWeight = tf.add(1, tf.mul(tf.sub(posWeight, 1), label));
    return tf.add(tf.sub(pred, tf.mul(pred, label)), tf.mul(logWeight, tf.add(softTerm, reluKeepingNaN(tf.neg(pred)))));
  }
  let positive = tf.mul(tf.log(tf.add(pred, LOG_EPSILON)), label);
  if (posWeight !== undefined) positive = tf.mul(positive, posWeight);
  const negative = tf.mul(tf.log(tf.add(tf.sub(1, pred), LOG_EPSILON)), tf.sub(1, label));
  return tf.neg(tf.add(positive, negative));
}

/** `operand` broadcast to its broadcast shape with `other`, its gradient summed back as MXNet's. */
function broadcastOperand(operand: tf.Tensor, other: tf.Tensor): tf.Tensor {
  return broadcastTo(operand, tf.backend_util.assertAndGetBroadcastShape(operand.shape, other.shape));
}
