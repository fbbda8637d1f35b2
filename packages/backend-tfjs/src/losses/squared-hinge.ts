import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { reluKeepingNaN } from '../ops/relu.js';

/** `square(relu(margin - pred * label))`. */
export function squaredHingeLoss(call: LossCall<'SquaredHingeLoss'>): tf.Tensor {
  const margin = call.detail.margin;
  return tf.square(reluKeepingNaN(tf.sub(margin, tf.mul(call.input('pred'), call.input('label')))));
}
