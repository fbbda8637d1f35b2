/**
 * One replay of an MXNet training run with tfLoss inside `optimizer.minimize`, on the
 * active tfjs backend; shared by the Node tests and the Chromium page (no Node imports).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingRun } from '@gluon-loss/golden';
import { tfLoss } from '../src/index.js';

/** Relative, per step: the bound and its reasoning are the golden package's. */
export { TRAJECTORY_RTOL } from '@gluon-loss/golden';

function denseForward(run: TrainingRun, params: tf.Variable[], x: tf.Tensor): tf.Tensor {
  let h = x;
  run.layers.forEach((layer, i) => {
    const weight = params[run.initialParams.findIndex((p) => p.layer === i && p.name === 'weight')]!;
    const biasIndex = run.initialParams.findIndex((p) => p.layer === i && p.name === 'bias');
    const [units, inUnits] = weight.shape as [number, number];
    const lead = layer.flatten ? [h.shape[0]!] : h.shape.slice(0, -1);
    let y = tf.matMul(tf.reshape(h, [-1, inUnits]), weight, false, true);
    if (biasIndex >= 0) y = tf.add(y, params[biasIndex]!);
    y = tf.reshape(y, [...lead, units]);
    h = layer.activation === 'tanh' ? tf.tanh(y) : y;
  });
  return h;
}

/** Replays a run; returns the relative deviation from MXNet at each step. */
export async function replay(run: TrainingRun): Promise<number[]> {
  const loss = tfLoss(run.loss, run.config, { reduction: 'mean' });
  // tidy disposes each initial tensor and keeps the variable (variables outlive tidies).
  const params = run.initialParams.map((p) =>
    tf.tidy(() => tf.variable(tf.tensor(p.data.data, [...p.data.shape], 'float32'))),
  );
  const inputs = Object.fromEntries(
    Object.entries(run.inputs).map(([k, t]) => [k, tf.tensor(t.data, [...t.shape], 'float32')]),
  );
  const targets = Object.values(run.targets).map((t) =>
    tf.tensor(t.data, [...t.shape], t.data instanceof Int32Array ? 'int32' : 'float32'),
  );
  const batchLoss = (): tf.Scalar => {
    const out = denseForward(run, params, inputs.x!);
    if (run.loss === 'TripletLoss') {
      return loss(
        out,
        denseForward(run, params, inputs.positive!),
        denseForward(run, params, inputs.negative!),
      ) as tf.Scalar;
    }
    return loss(out, ...targets) as tf.Scalar;
  };
  const optimizer = tf.train.sgd(run.learningRate);
  const ours: number[] = [];
  for (let step = 0; step <= run.steps; step++) {
    const cost = step < run.steps ? optimizer.minimize(batchLoss, true, params)! : tf.tidy(batchLoss);
    ours.push((await cost.data())[0]!); // webgpu has no synchronous read of a GPU tensor
    cost.dispose();
  }
  tf.dispose([...params, ...Object.values(inputs), ...targets]);
  optimizer.dispose();
  loss.dispose();
  return ours.map((v, i) => Math.abs(v - run.losses[i]!) / Math.abs(run.losses[i]!));
}
