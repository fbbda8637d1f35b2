/**
 * The Chromium test page of @gluon-loss/tfjs: the package bundled by Vite with tfjs's
 * webgl and webgpu backends, as an application would, driven through
 * `window.tfjsReplayPage` by tfjs-replay-browser.test.ts. It replays MXNet's training runs
 * (given as their JSON) on the backend asked for and reports each run's largest
 * deviation; the Node side judges.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { decodeTrainingFile } from '@gluon-loss/golden';
import { replay } from '../../../tfjs/test/replay-run.js';

export interface ReplayPageReport {
  readonly active: string;
  readonly deviations: Readonly<Record<string, number>>;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
}

export interface ReplayPageApi {
  run(backend: string, files: readonly unknown[]): Promise<ReplayPageReport>;
}

const api: ReplayPageApi = {
  async run(backend, files) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
    await tf.ready();
    const tensorsBefore = tf.memory().numTensors;
    const deviations: Record<string, number> = {};
    for (const f of files) {
      const run = decodeTrainingFile(f);
      deviations[run.name] = Math.max(...(await replay(run)));
    }
    return { active: tf.getBackend(), deviations, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  },
};

(globalThis as { tfjsReplayPage?: ReplayPageApi }).tfjsReplayPage = api;
