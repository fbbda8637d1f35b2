import * as tf from '@tensorflow/tfjs-core';

/**
 * The same values as `x`, off the autodiff tape (tfjs has no `stopGradient`). The loss
 * graphs build masks from comparisons, which MXNet gives a zero gradient and tfjs gives
 * none (differentiating through Greater or Equal throws); a mask made from this copy is
 * not on any path from a differentiated tensor. It is a customGrad op with no inputs
 * whose forward, run off the tape as every customGrad forward is, clones `x` on the
 * device: nothing is read back.
 */
export function detached(x: tf.Tensor): tf.Tensor {
  const copy = tf.customGrad(() => ({ value: tf.clone(x), gradFunc: () => [] }));
  return (copy as () => tf.Tensor)();
}
