import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';

/**
 * from_logits: `exp(pred) - target * pred`; else `pred - target * log(pred + epsilon)`.
 * compute_full adds Stirling's `target*log(target) - target + 0.5*log(2*target*pi)` times
 * `target > 1`: at target == 0 that is `0 * -inf`, NaN, as in MXNet. The mean over every
 * element is the plan's 'mean-all' reduction.
 */
export function poissonNllLoss(call: LossCall<'PoissonNLLLoss'>): tf.Tensor {
  const pred = call.input('pred');
  const target = call.input('target');
  let loss = call.detail.fromLogits
    ? tf.sub(tf.exp(pred), tf.mul(target, pred))
    : tf.sub(pred, tf.mul(target, tf.log(tf.add(pred, call.plan.scalars.epsilon!))));
  if (call.detail.computeFull) {
    const stirling = tf.add(
      tf.sub(tf.mul(target, tf.log(target)), target),
      tf.mul(0.5, tf.log(tf.mul(tf.mul(target, 2), Math.PI))),
    );
    const aboveOne = tf.cast(tf.greater(call.constant('target'), 1), 'float32');
    loss = tf.add(loss, tf.mul(stirling, aboveOne));
  }
  return loss;
}
