import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/** log(float32 max) in float32: MXNet's log of a row sum that its exp made from a NaN. */
const LOG_FLOAT32_MAX = Math.fround(Math.log(3.4028234663852886e38));

/**
 * `x - max - log(sum(exp(x - max)))` along `axis`: MXNet's log_softmax, value only.
 * MXNet's maximum skips NaN, and a NaN in the row makes its (vectorised) exp give
 * float32's largest value, so the row's other entries come out near -88.7, not NaN.
 */
export function logSoftmaxValue(x: tf.Tensor, axis: number): tf.Tensor {
  const max = tf.max(tf.where(tf.isNaN(x), tf.scalar(-Infinity), x), axis, true);
  const shifted = tf.sub(x, max);
  const sum = tf.sum(tf.exp(shifted), axis, true);
  return tf.sub(shifted, tf.where(tf.isNaN(sum), tf.scalar(LOG_FLOAT32_MAX), tf.log(sum)));
}

/**
 * MXNet's `log_softmax(x, axis)` along any axis (tfjs's `logSoftmax` only takes the last
 * one), with MXNet's closed-form gradient `dy - softmax * sum(dy)`. Autodiff through the
 * max would add terms that cancel only in exact arithmetic.
 */
export function logSoftmax(x: tf.Tensor, axis: number): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    const value = logSoftmaxValue(input, axis);
    save([value]);
    return {
      value,
      gradFunc: (dy, saved) => tf.sub(dy, tf.mul(tf.exp(saved[0]!), tf.sum(dy, axis, true))),
    };
  })(x);
}
