// Trains MXNet 1.9.1's softmax-classifier run in the browser: tfLoss('SoftmaxCELoss') inside
// optimizer.minimize, on the tfjs backend the address asks for (?backend=webgl, the default;
// webgpu; cpu), and writes each step's loss beside MXNet's. The run (data, initial weights,
// learning rate, MXNet's loss curve) is the training golden the tests replay. When it is
// done, `window.trainingExample` holds what the page showed (examples/test reads it).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { tfLoss } from '@gluon-loss/tfjs';
import run from '../../conformance/golden/training/softmax-classifier.json';

const status = document.getElementById('status');
const rows = document.getElementById('steps');
const tensor = (t) => tf.tensor(t.data, t.shape, t.dtype);
const param = (name) => run.initialParams.find((p) => p.name === name).data;

async function train(backend) {
  if (!(await tf.setBackend(backend))) throw new Error(`the tfjs backend ${backend} does not start in this browser`);
  const tensorsBefore = tf.memory().numTensors;
  const started = performance.now();

  // Gluon's nn.Dense(4): logits = x @ weight.T + bias, weight in MXNet's (units, in_units) layout.
  // (tidy disposes each initial tensor and keeps its variable: variables outlive tidies)
  const weight = tf.tidy(() => tf.variable(tensor(param('weight'))));
  const bias = tf.tidy(() => tf.variable(tensor(param('bias'))));
  const x = tensor(run.inputs.x);
  const label = tensor(run.targets.label); // int32 class indices (MXNet's sparse_label)
  const ce = tfLoss('SoftmaxCELoss', run.config, { reduction: 'mean' }); // MXNet's loss, averaged over the batch
  const optimizer = tf.train.sgd(run.optimizer.learningRate);
  const batchLoss = () => ce(tf.add(tf.matMul(x, weight, false, true), bias), label);

  const losses = [];
  // MXNet's curve has steps + 1 values: the loss before each update, then after the last.
  for (let step = 0; step <= run.steps; step++) {
    const cost = step < run.steps ? optimizer.minimize(batchLoss, true, [weight, bias]) : tf.tidy(batchLoss);
    const loss = (await cost.data())[0]; // webgpu has no synchronous read of a GPU tensor
    cost.dispose();
    losses.push(loss);
    const mxnet = run.losses.data[step];
    const row = rows.insertRow();
    for (const cell of [step, loss.toFixed(7), mxnet.toFixed(7), (Math.abs(loss - mxnet) / mxnet).toExponential(1)]) {
      row.insertCell().textContent = String(cell);
    }
  }
  tf.dispose([weight, bias, x, label]);
  optimizer.dispose();
  ce.dispose();
  return {
    backend: tf.getBackend(),
    losses,
    mxnet: run.losses.data,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    ms: performance.now() - started,
  };
}

const requested = new URL(window.location.href).searchParams.get('backend') ?? 'webgl';
status.textContent = `training on ${requested}…`;
try {
  const result = await train(requested);
  const worst = Math.max(...result.losses.map((v, i) => Math.abs(v - result.mxnet[i]) / result.mxnet[i]));
  status.textContent =
    `${run.steps} steps on ${result.backend} in ${Math.round(result.ms)} ms: loss ${result.losses[0].toFixed(4)} → ` +
    `${result.losses[run.steps].toFixed(4)}, at most ${worst.toExponential(1)} from MXNet; ` +
    `tensors ${result.tensorsBefore} before, ${result.tensorsAfter} after.`;
  window.trainingExample = result;
} catch (e) {
  status.textContent = `failed: ${e.message}`;
  window.trainingExample = { error: String(e) };
}
