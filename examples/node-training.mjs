// Trains a small softmax classifier with MXNet's SoftmaxCELoss inside TensorFlow.js's
// optimizer.minimize: `node examples/node-training.mjs` (after `pnpm build`).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { tfLoss } from '@gluon-loss/tfjs';

await tf.setBackend('cpu');

// Three clusters of points in 2-D, labelled 0, 1, 2.
const centres = [
  [0, 0],
  [3, 0],
  [0, 3],
];
const points = Array.from({ length: 30 }, (_, i) => {
  const [cx, cy] = centres[i % 3];
  return [cx + Math.sin(i * 1.7), cy + Math.cos(i * 2.3)];
});
const x = tf.tensor(points.flat(), [30, 2]);
const labels = tf.tensor(
  points.map((_, i) => i % 3),
  [30],
  'int32',
);

const weight = tf.variable(tf.zeros([2, 3]));
const bias = tf.variable(tf.zeros([3]));
const ce = tfLoss('SoftmaxCELoss', {}, { reduction: 'mean' }); // MXNet's defaults: sparse labels, axis -1
const optimizer = tf.train.sgd(0.1);

let tensorsAfterFirstStep = 0;
for (let step = 0; step <= 200; step++) {
  const cost = optimizer.minimize(() => ce(tf.add(tf.matMul(x, weight), bias), labels), true);
  if (step % 50 === 0) console.log(`step ${step}: loss ${cost.dataSync()[0].toFixed(4)}`);
  cost.dispose();
  if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
}
const accuracy = tf.tidy(() =>
  tf.mean(tf.cast(tf.equal(tf.argMax(tf.add(tf.matMul(x, weight), bias), 1), labels), 'float32')),
);
console.log(`accuracy ${accuracy.dataSync()[0].toFixed(2)}, backend ${tf.getBackend()}`);
accuracy.dispose();
console.log(`tensors after the first step ${tensorsAfterFirstStep}, after the last ${tf.memory().numTensors}`);
