import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { reluKeepingNaN } from '../ops/relu.js';

/** `relu(margin - pred * label)`, relu as mshadow's (ops/relu.ts). */
export function hingeLoss(call: LossCall<'HingeLoss'>): tf.Tensor {
  const margin = call.detail.margin;
  return reluKeepingNaN(tf.sub(margin, tf.mul(call.input('pred'), call.input('label'))));
}
