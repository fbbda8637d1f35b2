import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { absWithSignGradient } from '../ops/abs.js';

/** `abs(label - pred)`, whose gradient at label == pred is 0 in MXNet. */
export function l1Loss(call: LossCall<'L1Loss'>): tf.Tensor {
  return absWithSignGradient(tf.sub(call.input('label'), call.input('pred')));
}
