import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { float32Sum } from '../ops/float32-sum.js';
import { reluKeepingNaN } from '../ops/relu.js';

/**
 * `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`, the sum over
 * every axis but the batch axis as MXNet's float32 sum ends; the loss is (batch,) and MXNet does not reduce it
 * further (1.9.1 takes no sample_weight here).
 */
export function tripletLoss(call: LossCall<'TripletLoss'>): tf.Tensor {
  const { batchAxis, margin } = call.detail;
  const pred = call.input('pred');
  const gap = tf.sub(tf.square(tf.sub(call.input('positive'), pred)), tf.square(tf.sub(call.input('negative'), pred)));
  const axes = gap.shape.map((_, i) => i).filter((i) => i !== batchAxis);
  // MXNet's float32 sum (float32Sum): tfjs-wasm's own Sum of 8,432 gaps that cancel was 1.8 off
  // MXNet's 10250.56 (nightly seed 202612022, TripletLoss case 300).
  return reluKeepingNaN(tf.add(axes.length > 0 ? float32Sum(gap, axes) : gap, margin));
}
