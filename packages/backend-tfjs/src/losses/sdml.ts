import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';

/**
 * Batchwise Smoothed Deep Metric Learning as MXNet 1.9.1 computes it: squared distances
 * between every row of x1 and every row of x2, `log_softmax(-distances, axis=1)`, then
 * KLDivLoss(from_logits=True) against a smoothed identity, summed over axis 1 (KLDivLoss
 * sums in 1.9.x). The weight is never applied; a batch of 1 divides 0 by 0 in the
 * smoothed identity and gives NaN, as in MXNet.
 */
export function sdmlLoss(call: LossCall<'SDMLLoss'>): tf.Tensor {
  const { batch, smoothing } = call.detail;
  const x1 = call.input('x1');
  const x2 = call.input('x2');
  const distances = tf.sum(tf.square(tf.sub(tf.expandDims(x1, 1), tf.expandDims(x2, 0))), 2);
  const logProbabilities = logSoftmax(tf.neg(distances), 1);
  const key = `sdml:${batch}:${smoothing}`;
  const labels = call.cached(`${key}:labels`, () => tf.tensor(smoothedIdentity(batch, smoothing), [batch, batch]));
  const labelLogs = call.cached(`${key}:log-labels`, () => tf.log(tf.add(labels, 1e-12)));
  return tf.sum(tf.mul(labels, tf.sub(labelLogs, logProbabilities)), 1);
}

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
