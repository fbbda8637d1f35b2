import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';

/**
 * from_logits: `exp(pred) - target * pred`; else `pred - target * log(pred + epsilon)`.
 * compute_full adds Stirling's `target*log(target) - target + 0.5*log(2*target*pi)` times
 * `target > 1`: at target == 0 that is `0 * -inf`, NaN, as in MXNet. The mean over every
 * element is the plan's 'mean-all' reduction.
 *
 * The gradients are MXNet's autograd chain written out (tfjs's autodiff forms them in
 * another order): log's backward is `dy * (1 / x)`, so a rate or target whose reciprocal
 * overflows gives Inf, or NaN (0 * Inf) where the head is 0, as MXNet's does; tfjs's
 * `dy / x` stays finite there (issue 9). backend-ts's poisson-nll.ts is the same chain.
 */
export function poissonNllLoss(call: LossCall<'PoissonNLLLoss'>): tf.Tensor {
  const { fromLogits, computeFull } = call.detail;
  const epsilon = call.plan.scalars.epsilon!;
  // t > 1 from a copy off the tape: tfjs has no gradient for Greater; MXNet's is 0.
  const aboveOne = computeFull ? tf.cast(tf.greater(call.constant('target'), 1), 'float32') : null;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, t, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // What the gradients reuse: exp(x) (from_logits), or the rate x + epsilon and its log.
    const ex = fromLogits ? tf.exp(x) : null;
    const rate = fromLogits ? null : tf.add(x, epsilon);
    const logRate = rate === null ? null : tf.log(rate);
    let value = ex !== null ? tf.sub(ex, tf.mul(t, x)) : tf.sub(x, tf.mul(t, logRate!));
    if (aboveOne !== null) value = tf.add(value, tf.mul(stirling(t), aboveOne));
    save([t, fromLogits ? ex! : rate!, fromLogits ? x : logRate!, aboveOne ?? t]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [st, exOrRate, xOrLogRate, mask] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        // from_logits: d/dx = g*exp(x) - g*t, d/dt = -(g*x); else d/dx = g - (g*t)*(1/rate),
        // d/dt = -(g*log(rate)).
        const gradX = fromLogits
          ? tf.sub(tf.mul(dy, exOrRate), tf.mul(dy, st))
          : tf.sub(dy, tf.mul(tf.mul(dy, st), tf.reciprocal(exOrRate)));
        let gradT = tf.neg(tf.mul(dy, xOrLogRate));
        if (computeFull) gradT = tf.add(gradT, stirlingGrad(tf.mul(dy, mask), st));
        return [gradX, gradT];
      },
    };
  });
  return op(call.input('pred'), call.input('target'));
}

/** `t*log(t) - t + 0.5*log(2*t*pi)`, before the `t > 1` mask. */
function stirling(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.mul(t, tf.log(t)), t), tf.mul(0.5, tf.log(tf.mul(tf.mul(t, 2), Math.PI))));
}

/**
 * d/dt of the masked Stirling term for the masked head `gs`, each factor as MXNet's
 * autograd forms it: `gs*log(t) + (gs*t)*(1/t) - gs + (((gs*0.5)*(1/(2*t*pi)))*pi)*2`.
 * A t of 0 or one whose reciprocal overflows gives NaN (0 * Inf) even where masked.
 */
function stirlingGrad(gs: tf.Tensor, t: tf.Tensor): tf.Tensor {
  const dLog = tf.mul(tf.mul(gs, t), tf.reciprocal(t));
  const dHalfLog = tf.mul(tf.mul(tf.mul(tf.mul(gs, 0.5), tf.reciprocal(tf.mul(tf.mul(t, 2), Math.PI))), Math.PI), 2);
  return tf.add(tf.sub(tf.add(tf.mul(gs, tf.log(t)), dLog), gs), dHalfLog);
}
