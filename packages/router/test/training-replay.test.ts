/**
 * MXNet 1.9.1's training runs (conformance/golden/training), replayed with the router's
 * `forwardBackward` in a plain TypeScript loop (training-replay-run.ts) on the backends the
 * default router picks in Node. The loss of every step must follow MXNet's curve within
 * TRAJECTORY_RTOL. The same replay runs on tfjs-webgl and tfjs-webgpu in Chromium in
 * training-replay-browser.test.ts.
 */
import { readTrainingRuns } from '@gluon-loss/golden/node';
import { describe, expect, it } from 'vitest';
import { createLoss } from '../src/index.js';
import { TRAJECTORY_RTOL, replayThroughRouter } from './training-replay-run.js';

describe("MXNet's training runs replayed with the router's forwardBackward in a TypeScript loop", () => {
  for (const run of readTrainingRuns()) {
    it(`${run.name}: follows MXNet over ${run.steps} steps within ${TRAJECTORY_RTOL} relative`, async () => {
      const { deviation, backends } = await replayThroughRouter(run, await createLoss(run.loss, run.config));
      const worst = Math.max(...deviation);
      console.info(`router ${run.name} (on ${backends.join(', ')}): max relative deviation ${worst.toExponential(2)}`);
      expect(deviation).toHaveLength(run.steps + 1);
      expect(worst).toBeLessThanOrEqual(TRAJECTORY_RTOL);
    });
  }
});
