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
      gradFunc: (dy, saved) => tf.mul(dy, mxnetSign(saved[0]!)),
    };
  })(x);
}

/**
 * mshadow's sign: 1 above 0, -1 below, 0 at ±0 and at NaN. Built from comparisons, which
 * are exact on every variant: tfjs-wasm's Sign kernel gives 0 for subnormals (1e-40), so
 * an L1 loss of tiny differences got no gradient there.
 */
function mxnetSign(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'));
}
