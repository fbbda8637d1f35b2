import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';

/** `relu(margin - pred * label)`; tfjs's relu gradient is 0 at 0, as MXNet's. */
export function hingeLoss(call: LossCall<'HingeLoss'>): tf.Tensor {
  const margin = call.detail.margin;
  return tf.relu(tf.sub(margin, tf.mul(call.input('pred'), call.input('label'))));
}
