import * as tf from '@tensorflow/tfjs';

export interface ValueAndGradient {
  readonly value: tf.Tensor;
  /** dy (shaped like value) and the tensors saved in the forward, to the input's gradient. */
  readonly gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor;
}

/**
 * `tf.customGrad` for a one-input op, typed. The forward runs off the autodiff tape;
 * whatever the gradient needs must be passed to `save` (tensors made in the forward are
 * disposed before the backward runs), or be rebuilt from JS values in the gradient.
 */
export function unaryCustomGrad(
  forward: (x: tf.Tensor, save: tf.GradSaveFunc) => ValueAndGradient,
): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) =>
    forward(args[0] as tf.Tensor, args[1] as tf.GradSaveFunc),
  );
  return (x) => op(x);
}
