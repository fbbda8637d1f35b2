/**
 * MXNet 1.9.1's training runs (conformance/golden/training), replayed with tfLoss inside
 * `optimizer.minimize`: the same model (Gluon Dense layers, weights in MXNet's layout),
 * the same initial weights and data, plain SGD at the same learning rate. The loss of
 * every step must follow MXNet's curve within TRAJECTORY_RTOL (see its comment).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readTrainingRuns } from '@gluon-loss/golden/node';
import { describe, expect, it } from 'vitest';
import { TRAJECTORY_RTOL, replay } from './replay-run.js';
import type { AppBackend } from './app-backend.js';

export function describeReplay(backend: AppBackend): void {
  describe(`MXNet's training runs replayed with tfLoss in optimizer.minimize on tfjs-${backend}`, () => {
    const runs = readTrainingRuns();
    it('has the four runs of the issue', () => {
      expect(runs.map((r) => r.loss).sort()).toEqual(['CTCLoss', 'L2Loss', 'SoftmaxCELoss', 'TripletLoss']);
    });
    for (const run of runs) {
      it(`${run.name}: follows MXNet over ${run.steps} steps within ${TRAJECTORY_RTOL} relative`, async () => {
        const tensors = tf.memory().numTensors;
        const deviation = await replay(run);
        expect(tf.memory().numTensors).toBe(tensors);
        const worst = Math.max(...deviation);
        console.info(`tfjs-${backend} ${run.name}: max relative deviation ${worst.toExponential(2)}`);
        expect(deviation).toHaveLength(run.steps + 1);
        expect(worst).toBeLessThanOrEqual(TRAJECTORY_RTOL);
      });
    }
  });
}
