import * as tf from '@tensorflow/tfjs';

/**
 * `where(condition, ifTrue, ifFalse)` with MXNet's gradient: each branch gets the head
 * gradient where it is taken and exactly 0 elsewhere. tfjs's Select gradient multiplies
 * the head gradient by the 0/1 mask instead, so an infinite head gradient (a huge
 * sample_weight times the weight) gives `Inf * 0 = NaN` to the branch not taken, which
 * then poisons the sum of both branches (HuberLoss: NaN where MXNet gives ±Inf). The
 * condition is a constant (MXNet's comparisons have no gradient) shaped like both branches.
 */
export function whereSelectingGradient(condition: tf.Tensor, ifTrue: tf.Tensor, ifFalse: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // Kept for the backward: what the graph made is disposed before the backward runs.
    save([condition]);
    return {
      value: tf.where(condition, a, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const taken = saved[0]!;
        const zeros = tf.zerosLike(dy);
        return [tf.where(taken, dy, zeros), tf.where(taken, zeros, dy)];
      },
    };
  });
  return op(ifTrue, ifFalse);
}
