import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { logSoftmax } from '../ops/log-softmax.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

/**
 * `label * (log(label + 1e-12) - pred)`, pred first log-softmaxed along `axis` unless
 * from_logits. pred and label broadcast (MXNet does not reshape the label); the sum over
 * the non-batch axes (1.9.x sums, 1.8 averaged) is the plan's reduction.
 *
 * Each broadcast is made explicit (`broadcastTo`) so that the gradient of the broadcast
 * operand is summed back by `blockedSum`: tfjs-wasm's sum adds in float32 one element
 * after another, and over the ten thousand elements a broadcast label can stand for its
 * error passes MXNet's tolerance (issue 9; MXNet's sum is Kahan-compensated).
 */
export function klDivLoss(call: LossCall<'KLDivLoss'>): tf.Tensor {
  const shape = call.plan.lossShape;
  const pred = call.input('pred');
  const logProbabilities = broadcastTo(call.detail.fromLogits ? pred : logSoftmax(pred, call.detail.axis), shape);
  // MXNet takes the log of the label in the label's own shape and broadcasts after it, so
  // the gradient through the log is summed over the broadcast *before* its 1 / (label +
  // 1e-12): a sum that overflows float32 there is Inf in MXNet (golden KLDivLoss/diff-1-879).
  const label = call.input('label');
  const logLabel = broadcastTo(tf.log(tf.add(label, 1e-12)), shape);
  return tf.mul(broadcastTo(label, shape), tf.sub(logLabel, logProbabilities));
}

/** Block length of `blockedSum`: its error grows with about 2 x 128 additions, not n. */
const BLOCK = 128;

/** `x` broadcast to `shape` (numpy rules), its gradient summed back by `blockedSum`. */
function broadcastTo(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (x.shape.length === shape.length && x.shape.every((n, d) => n === shape[d])) return x;
  const source = [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape];
  const axes = shape.map((_, d) => d).filter((d) => source[d] === 1 && shape[d] !== 1);
  return unaryCustomGrad((input) => ({
    value: tf.broadcastTo(input, [...shape]),
    gradFunc: (dy) => tf.reshape(blockedSum(dy, axes), input.shape),
  }))(x);
}

/**
 * The sum of `x` over `axes` in blocks of BLOCK elements, then over the block sums, and
 * so on: float32 additions whose rounding stays near that of a compensated sum however
 * many elements there are. The zeros that pad the last block change no sum (Inf and NaN
 * included).
 */
function blockedSum(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptSize = kept.reduce((n, d) => n * x.shape[d]!, 1);
  let rows = tf.reshape(tf.transpose(x, [...kept, ...axes]), [keptSize, -1]);
  while (rows.shape[1]! > BLOCK) {
    const length = rows.shape[1]!;
    const padded = tf.pad(rows, [
      [0, 0],
      [0, Math.ceil(length / BLOCK) * BLOCK - length],
    ]);
    rows = tf.sum(tf.reshape(padded, [keptSize, -1, BLOCK]), 2);
  }
  return tf.sum(rows, 1);
}
