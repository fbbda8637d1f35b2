import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * mshadow's relu: NaN stays NaN (either sign), -Inf gives 0; its gradient `step(x)` is 1
 * above 0, 0 at and below 0, NaN at NaN. tfjs-wasm's Relu kernel (XNNPACK) works on the
 * bits and maps a NaN whose sign bit is set to 0, and that is the NaN float32 arithmetic
 * makes (`Inf - Inf`, `0 * Inf`): a TripletLoss or SquaredHingeLoss whose terms overflow
 * would give 0 where MXNet gives NaN. `maximum(x, 0)` keeps every NaN on every tfjs
 * variant; the gradient is written out because Maximum's sends 1 at x == 0.
 */
export function reluKeepingNaN(x: tf.Tensor): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    save([input]);
    return {
      value: tf.maximum(input, 0),
      gradFunc: (dy, saved) => tf.mul(dy, tf.step(saved[0]!)),
    };
  })(x);
}
