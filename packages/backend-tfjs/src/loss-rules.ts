/**
 * MXNet's Loss base-class rules, once for every loss: `loss * sample_weight` (numpy
 * broadcasting, so the weighted loss may grow, e.g. SoftmaxCE's (N, 1) loss times an
 * (N,) weight is (N, N)), then `* weight` (a scalar; L2Loss's is already `weight / 2`
 * in the plan), then the reduction. Built from tfjs ops, so autodiff carries the
 * gradient back through it to the loss and to sample_weight.
 *
 * A mean is MXNet's: the float32 sum divided by the count, so a sum that overflows gives
 * Inf as in MXNet (tfjs's own mean divides each element first and would stay finite), and
 * the sum is `float32Sum`, which stays Inf once a partial sum overflows, as MXNet's does.
 */
import * as tf from '@tensorflow/tfjs';
import type { CallPlan } from '@gluon-loss/spec';
import { broadcastTo, float32Sum } from './ops/float32-sum.js';

export function applyLossRules(loss: tf.Tensor, sampleWeight: tf.Tensor | undefined, plan: CallPlan): tf.Tensor {
  // The broadcast made explicit: sample_weight's gradient (and the loss's, when the
  // weight enlarges it) is summed back as MXNet's float32 sum, not tfjs's mul gradient.
  let weighted =
    sampleWeight === undefined
      ? loss
      : tf.mul(broadcastTo(loss, plan.weightedShape), broadcastTo(sampleWeight, plan.weightedShape));
  if (plan.appliedWeight !== null) weighted = tf.mul(weighted, plan.appliedWeight);
  switch (plan.reduction) {
    case 'mean':
    case 'sum': {
      // `F.mean(loss, axis=batch_axis, exclude=True)`: every axis but the batch axis.
      const axes = weighted.shape.map((_, i) => i).filter((i) => i !== plan.batchAxis);
      if (axes.length === 0) return weighted;
      const sum = float32Sum(weighted, axes);
      return plan.reduction === 'mean' ? tf.div(sum, weighted.size / sum.size) : sum;
    }
    case 'mean-all':
      // PoissonNLLLoss's `F.mean(loss)`: one number, shape (1,).
      return tf.reshape(
        tf.div(
          float32Sum(
            weighted,
            weighted.shape.map((_, d) => d),
          ),
          weighted.size,
        ),
        [1],
      );
    case 'none':
      return weighted;
  }
}
