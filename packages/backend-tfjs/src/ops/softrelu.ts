import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * MXNet's `Activation(act_type='softrelu')` for arguments <= 0: `log1p(exp(x))`. The
 * losses only apply it to `-|pred|`, so MXNet's `x > 20 ? x` branch never applies; tfjs's
 * `softplus` uses other thresholds and `log(exp(x) + 1)`, which loses digits near 0.
 * tfjs-wasm's Log1p is `log(1 + e)` too (log1p(6.5e-6) comes out 1% high), so log1p is
 * written as `log(u) * e / (u - 1)` with `u = 1 + e` (exact to a few ulps in float32, and
 * `e` itself where u rounds to 1). The gradient is MXNet's, `e / (1 + e)`.
 */
export function softreluOfNonPositive(x: tf.Tensor): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    const e = tf.exp(input);
    const u = tf.add(e, 1);
    const uMinusOne = tf.sub(u, 1);
    const value = tf.where(tf.equal(uMinusOne, 0), e, tf.mul(tf.log(u), tf.div(e, uMinusOne)));
    save([e]);
    return {
      value,
      gradFunc: (dy, saved) => tf.mul(dy, tf.div(saved[0]!, tf.add(saved[0]!, 1))),
    };
  })(x);
}
