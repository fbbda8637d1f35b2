/**
 * Replays MXNet 1.9.1's training goldens with the router (`gluon-loss`) to get
 * gluon-loss's own loss curve for the dashboard: the model (Gluon Dense layers) forward
 * and backward by hand over Float32Arrays, the router's `forwardBackward` without a head
 * gradient (ones, as MXNet's `l.backward()`), then MXNet's SGD update
 * `w -= lr * (grad / batch)` (`replayTraining` of @gluon-loss/golden, the loop the router's
 * replay tests hold to MXNet's curve); here it only records the curve. Four runs of 100
 * steps on models of a few hundred weights: a few seconds.
 */
import { TRAJECTORY_RTOL, replayTraining, type TrainingRun } from '@gluon-loss/golden';
import { createLoss } from 'gluon-loss';
import {
  TRAINING_REPLAY_FORMAT,
  TRAINING_REPLAY_FORMAT_VERSION,
  type ReplayedRun,
  type TrainingReplayFile,
} from './training-file.js';

/** One run: the batch-mean loss before the first step and after each. */
export async function replayRun(run: TrainingRun): Promise<ReplayedRun> {
  const started = performance.now();
  const loss = await createLoss(run.loss, run.config);
  let ours: number[];
  let backend = 'unknown';
  try {
    ours = await replayTraining(run, loss);
    backend = loss.explain().backend ?? backend;
  } finally {
    loss.dispose();
  }
  return {
    name: run.name,
    description: run.description,
    loss: run.loss,
    steps: run.steps,
    learningRate: run.learningRate,
    backend,
    mxnet: [...run.losses],
    gluonLoss: ours,
    replayMs: performance.now() - started,
  };
}

export async function replayTrainingRuns(runs: readonly TrainingRun[], now = new Date()): Promise<TrainingReplayFile> {
  const replayed: ReplayedRun[] = [];
  for (const run of runs) replayed.push(await replayRun(run));
  return {
    format: TRAINING_REPLAY_FORMAT,
    formatVersion: TRAINING_REPLAY_FORMAT_VERSION,
    generatedAt: now.toISOString(),
    method:
      "gluon-loss's router (createLoss, forwardBackward without a head gradient) in a TypeScript training loop: Dense layers by hand over Float32Arrays, plain SGD as MXNet's sgd_update",
    tolerance: TRAJECTORY_RTOL,
    runs: replayed,
  };
}
