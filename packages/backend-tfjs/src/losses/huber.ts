import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { absWithSignGradient } from '../ops/abs.js';
import { whereSelectingGradient } from '../ops/where.js';

/**
 * `where(|d| > rho, |d| - rho/2, (0.5/rho) * d^2)` with `d = label - pred`. At
 * `|d| == rho` the comparison is false, so MXNet takes the quadratic branch. The branch
 * mask is computed from constants: the comparison has no gradient. Each branch's gradient
 * is the head gradient where it is taken and 0 elsewhere (ops/where.ts); the quadratic
 * branch's `0 * 2d` is still NaN where `2d` overflows, as in MXNet.
 */
export function huberLoss(call: LossCall<'HuberLoss'>): tf.Tensor {
  const rho = call.detail.rho;
  const distance = absWithSignGradient(tf.sub(call.input('label'), call.input('pred')));
  const linear = tf.greater(tf.abs(tf.sub(call.constant('label'), call.constant('pred'))), rho);
  return whereSelectingGradient(linear, tf.sub(distance, 0.5 * rho), tf.mul(0.5 / rho, tf.square(distance)));
}
