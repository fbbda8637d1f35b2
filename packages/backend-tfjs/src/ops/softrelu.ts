import * as tf from '@tensorflow/tfjs';

/**
 * MXNet's `Activation(act_type='softrelu')` for arguments <= 0: `log1p(exp(x))`. The
 * losses only apply it to `-|pred|`, so MXNet's `x > 20 ? x` branch never applies; tfjs's
 * `softplus` uses other thresholds and `log(exp(x) + 1)`, which loses digits near 0.
 */
export function softreluOfNonPositive(x: tf.Tensor): tf.Tensor {
  return tf.log1p(tf.exp(x));
}
