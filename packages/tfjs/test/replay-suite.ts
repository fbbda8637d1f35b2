/**
 * MXNet 1.9.1's training runs (conformance/golden/training), replayed with tfLoss inside
 * `optimizer.minimize`: the same model (Gluon Dense layers, weights in MXNet's layout),
 * the same initial weights and data, plain SGD at the same learning rate. The loss of
 * every step must follow MXNet's curve within TRAJECTORY_RTOL (see its comment).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readTrainingRuns } from '@gluon-loss/golden/node';
import type { TrainingRun } from '@gluon-loss/golden';
import { describe, expect, it } from 'vitest';
import { tfLoss } from '../src/index.js';
import type { AppBackend } from './app-backend.js';

/**
 * Relative, per step. One float32 step rounds each value to 2^-24 ≈ 6e-8 relative; a
 * loss or gradient is a sum of a few dozen such terms, so two correct float32 programs
 * that order their sums differently (MXNet's BLAS and oneDNN vs tfjs's kernels) differ
 * by ~1e-6 in a step. SGD on these small, well-conditioned models does not amplify a
 * difference in the weights (each step's map is close to a contraction at these learning
 * rates), so over 100 steps the differences add up at most linearly: 100 × 1e-6 = 1e-4.
 * A wrong gradient (a factor, a sign, a missed term) moves the curve by far more within a
 * few steps.
 */
export const TRAJECTORY_RTOL = 1e-4;

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
export function replay(run: TrainingRun): number[] {
  const loss = tfLoss(run.loss, run.config, { reduction: 'mean' });
  const params = run.initialParams.map((p) => tf.variable(tf.tensor(p.data.data, [...p.data.shape], 'float32')));
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
    ours.push(cost.dataSync()[0]!);
    cost.dispose();
  }
  tf.dispose([...params, ...Object.values(inputs), ...targets]);
  optimizer.dispose();
  loss.dispose();
  return ours.map((v, i) => Math.abs(v - run.losses[i]!) / Math.abs(run.losses[i]!));
}

export function describeReplay(backend: AppBackend): void {
  describe(`MXNet's training runs replayed with tfLoss in optimizer.minimize on tfjs-${backend}`, () => {
    const runs = readTrainingRuns();
    it('has the four runs of the issue', () => {
      expect(runs.map((r) => r.loss).sort()).toEqual(['CTCLoss', 'L2Loss', 'SoftmaxCELoss', 'TripletLoss']);
    });
    for (const run of runs) {
      it(`${run.name}: follows MXNet over ${run.steps} steps within ${TRAJECTORY_RTOL} relative`, () => {
        const deviation = replay(run);
        const worst = Math.max(...deviation);
        console.info(`tfjs-${backend} ${run.name}: max relative deviation ${worst.toExponential(2)}`);
        expect(deviation).toHaveLength(run.steps + 1);
        expect(worst).toBeLessThanOrEqual(TRAJECTORY_RTOL);
      });
    }
  });
}
