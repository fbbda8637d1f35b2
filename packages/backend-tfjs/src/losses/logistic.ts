import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { absWithSignGradient } from '../ops/abs.js';
import { reluKeepingNaN } from '../ops/relu.js';
import { softreluOfNonPositive } from '../ops/softrelu.js';

/**
 * The stable binary cross-entropy `relu(x) - x*z + softrelu(-|x|)`, with signed labels
 * mapped to {0, 1} by `(label + 1) / 2` first.
 */
export function logisticLoss(call: LossCall<'LogisticLoss'>): tf.Tensor {
  const pred = call.input('pred');
  const label = call.detail.signed ? tf.div(tf.add(call.input('label'), 1), 2) : call.input('label');
  return tf.add(
    tf.sub(reluKeepingNaN(pred), tf.mul(pred, label)),
    softreluOfNonPositive(tf.neg(absWithSignGradient(pred))),
  );
}
