import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';

/** `square(label - pred)`; MXNet's `weight / 2` is the plan's applied weight. */
export function l2Loss(call: LossCall<'L2Loss'>): tf.Tensor {
  return tf.square(tf.sub(call.input('label'), call.input('pred')));
}
