import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { float32Sum } from '../ops/float32-sum.js';
import { logSoftmaxValue } from '../ops/log-softmax.js';

/**
 * Batchwise Smoothed Deep Metric Learning as MXNet 1.9.1 computes it: squared distances
 * between every row of x1 and every row of x2, `log_softmax(-distances, axis=1)`, then
 * KLDivLoss(from_logits=True) against a smoothed identity, summed over axis 1 (KLDivLoss
 * sums in 1.9.x). The weight is never applied; a batch of 1 divides 0 by 0 in the
 * smoothed identity and gives NaN, as in MXNet.
 */
export function sdmlLoss(call: LossCall<'SDMLLoss'>): tf.Tensor {
  const { batch, smoothing } = call.detail;
  const logProbabilities = distanceLogSoftmax(call.input('x1'), call.input('x2'));
  const key = `sdml:${batch}:${smoothing}`;
  const labels = call.cached(`${key}:labels`, () => tf.tensor(smoothedIdentity(batch, smoothing), [batch, batch]));
  const labelLogs = call.cached(`${key}:log-labels`, () => tf.log(tf.add(labels, 1e-12)));
  return tf.sum(tf.mul(labels, tf.sub(labelLogs, logProbabilities)), 1);
}

/**
 * `log_softmax(-d, axis=1)` of the squared distances `d[i][j] = sum_k (x1[i][k] -
 * x2[j][k])^2`, with the gradient MXNet's operators give, term by term: log_softmax's
 * `dd = -(dy - exp(y) * sum(dy))`, square's `dd * (2 * diff)`, the broadcast sums over j
 * into x1 and over i (negated) into x2, each a float32 tensor, so Inf and NaN come where
 * MXNet's do.
 *
 * One exception, where x1 dominates its column (|x1[i][k]| above every |x2[j][k]|) and
 * the result is finite: x1's gradient `sum_j dd[i][j] * 2 * (x1[i][k] - x2[j][k])` holds
 * `2 * x1[i][k] * sum_j dd[i][j]`, and `sum_j dd[i][j] = -sum(dy) * (1 - sum_j
 * softmax[i][j])` is 0 in exact arithmetic, but float32 rounding noise times |x1| in
 * MXNet's order; with a large x1 (a row whose distances float32 rounds equal) that noise
 * is far larger than the gradient. MXNet's own value there is such noise (oneDNN's
 * log_softmax is off by ~1e-6), and its float64 computation gives the noise-free one.
 * There x1's gradient is `sum_j dd[i][j] * (-2 * x2[j][k])`: the same in exact
 * arithmetic, without the x1 term. Where either form is not finite, MXNet's form decides.
 */
/**
 * `d[i][j] = sum_k diff[i][j][k]^2`. MXNet sums it as a Kahan-compensated float32 sum, and
 * log_softmax over -d turns a few ulps of d into 1e-3 of a gradient (golden
 * SDMLLoss/diff-1-88). On cpu and wasm that is `float32Sum`'s accurate sum, split on wasm
 * from 8 features: tfjs-wasm's own Sum, float32 one element after another, was 1.5e-4 off
 * MXNet's gradient with 71 and 234 features (goldens SDMLLoss/wasm-plain-distance-sum-*,
 * from the differential's seed 202612010). tfjs-webgpu's Sum shader is
 * a plain float32 sum 3e-3 off there, so on webgpu the features are added one at a time
 * with Kahan's compensation (4 element-wise ops per feature, on B x B tensors).
 */
const SPLIT_DISTANCES_ABOVE = 8;

function squaredDistances(diff: tf.Tensor): tf.Tensor {
  const squares = tf.square(diff);
  if (tf.getBackend() !== 'webgpu') return float32Sum(squares, [2], false, { splitAbove: SPLIT_DISTANCES_ABOVE });
  return tf.tidy(() => {
    const terms = tf.unstack(squares, 2);
    let sum = terms[0]!;
    let compensation = tf.zerosLike(sum);
    for (let k = 1; k < terms.length; k++) {
      const y = tf.sub(terms[k]!, compensation);
      const t = tf.add(sum, y);
      compensation = tf.sub(tf.sub(t, sum), y);
      sum = t;
    }
    return sum;
  });
}

const distanceLogSoftmax = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x1 = args[0] as tf.Tensor;
  const x2 = args[1] as tf.Tensor;
  const save = args[2] as tf.GradSaveFunc;
  const diff = tf.sub(tf.expandDims(x1, 1), tf.expandDims(x2, 0));
  const value = logSoftmaxValue(tf.neg(squaredDistances(diff)), 1);
  save([x1, x2, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [a, b, logp] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const distanceGrad = tf.expandDims(tf.sub(tf.mul(tf.exp(logp), tf.sum(dy, 1, true)), dy), 2);
      const diffGrad = tf.mul(distanceGrad, tf.mul(tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0)), 2));
      const asMXNet = tf.sum(diffGrad, 1);
      const withoutX1 = tf.sum(tf.mul(distanceGrad, tf.expandDims(tf.mul(b, -2), 0)), 1);
      const x1Dominates = tf.greater(tf.abs(a), tf.max(tf.abs(b), 0, true));
      const finite = tf.logicalAnd(tf.isFinite(asMXNet), tf.isFinite(withoutX1));
      return [tf.where(tf.logicalAnd(x1Dominates, finite), withoutX1, asMXNet), tf.sum(tf.neg(diffGrad), 0)];
    },
  };
});

/**
 * `eye * (1 - s) + (1 - eye) * s / (N - 1)`, in float32 and in MXNet's order: the
 * off-diagonal is `((1 - eye) * s) / (N - 1)`, so N == 1 gives `0 / 0` = NaN.
 */
function smoothedIdentity(n: number, s: number): Float32Array {
  const out = new Float32Array(n * n);
  const onDiagonal = Math.fround(1 - s);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const gold = i === j ? 1 : 0;
      out[i * n + j] = Math.fround(gold * onDiagonal) + Math.fround(Math.fround((1 - gold) * Math.fround(s)) / (n - 1));
    }
  }
  return out;
}
