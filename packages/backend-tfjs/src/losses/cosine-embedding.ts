import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

/** MXNet's floor under `|x| * |y|` in the cosine's denominator. */
const NORM_PRODUCT_FLOOR = 1e-12;

/**
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, with
 * `cos = sum(x*y) / max(|x| * |y|, 1e-12)` along the last axis, reshaped to (rows, 1).
 * The label masks are constants.
 */
export function cosineEmbeddingLoss(call: LossCall<'CosineEmbeddingLoss'>): tf.Tensor {
  const x = call.input('input1');
  const y = call.input('input2');
  const last = y.rank - 1;
  const column = (t: tf.Tensor) => tf.reshape(t, [-1, 1]);
  const cos = tf.div(
    column(tf.sum(tf.mul(x, y), last)),
    tf.maximum(tf.mul(column(l2Norm(x, last)), column(l2Norm(y, last))), NORM_PRODUCT_FLOOR),
  );
  const label = call.constant('label');
  const similar = tf.cast(tf.equal(label, 1), 'float32');
  const dissimilar = tf.cast(tf.equal(label, -1), 'float32');
  // maximum(0, v) with 0 first: tfjs, like MXNet's broadcast_maximum, passes the
  // gradient to v only where 0 < v.
  return tf.add(tf.mul(tf.sub(1, cos), similar), tf.maximum(0, tf.mul(dissimilar, tf.sub(cos, call.detail.margin))));
}

/**
 * `sqrt(sum(x^2, axis))` with the gradient of MXNet's `norm`, `x * dy / norm`, which is
 * NaN on every element of a zero vector (0 / 0), whatever dy is. The NaN is added
 * explicitly: tfjs-webgl's divide returns 1 when both operands are equal, 0 / 0 included.
 */
function l2Norm(x: tf.Tensor, axis: number): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    const norm = tf.sqrt(tf.sum(tf.square(input), axis, true));
    save([input, norm]);
    return {
      value: tf.squeeze(norm, [axis]),
      gradFunc: (dy, saved) => {
        const [vectors, norms] = saved as [tf.Tensor, tf.Tensor];
        const zeroVector = tf.where(tf.equal(norms, 0), tf.fill(norms.shape, Number.NaN), tf.zerosLike(norms));
        return tf.add(tf.div(tf.mul(vectors, tf.expandDims(dy, axis)), norms), zeroVector);
      },
    };
  })(x);
}
