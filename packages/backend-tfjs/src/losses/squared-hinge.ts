import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';

/** `square(relu(margin - pred * label))`. */
export function squaredHingeLoss(call: LossCall<'SquaredHingeLoss'>): tf.Tensor {
  const margin = call.detail.margin;
  return tf.square(tf.relu(tf.sub(margin, tf.mul(call.input('pred'), call.input('label')))));
}
