import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/** `x - max - log(sum(exp(x - max)))` along `axis`: MXNet's log_softmax, value only. */
export function logSoftmaxValue(x: tf.Tensor, axis: number): tf.Tensor {
  const shifted = tf.sub(x, tf.max(x, axis, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
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
