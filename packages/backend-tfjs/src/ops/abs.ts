import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * `abs` with MXNet's gradient, `sign(x)`, which is 0 at 0. tfjs's own Abs gradient is
 * `step(x, -1)`, -1 at 0: an L1 or Huber loss with pred == label would get the wrong
 * gradient.
 */
export function absWithSignGradient(x: tf.Tensor): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    save([input]);
    return {
      value: tf.abs(input),
      gradFunc: (dy, saved) => tf.mul(dy, tf.sign(saved[0]!)),
    };
  })(x);
}
