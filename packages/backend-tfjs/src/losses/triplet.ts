import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { reluKeepingNaN } from '../ops/relu.js';

/**
 * `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`, the sum over
 * every axis but the batch axis; the loss is (batch,) and MXNet does not reduce it
 * further (1.9.1 takes no sample_weight here).
 */
export function tripletLoss(call: LossCall<'TripletLoss'>): tf.Tensor {
  const { batchAxis, margin } = call.detail;
  const pred = call.input('pred');
  const gap = tf.sub(tf.square(tf.sub(call.input('positive'), pred)), tf.square(tf.sub(call.input('negative'), pred)));
  const axes = gap.shape.map((_, i) => i).filter((i) => i !== batchAxis);
  return reluKeepingNaN(tf.add(axes.length > 0 ? tf.sum(gap, axes) : gap, margin));
}
