/**
 * One replay of an MXNet training run with the router, in the golden package's plain
 * TypeScript loop (`replayTraining`). Shared by the Node test (training-replay.test.ts) and
 * the Chromium page (browser/replay-page), so it imports nothing of Node.
 */
import { replayTraining, trajectoryDeviation, type TrainingRun } from '@gluon-loss/golden';
import type { RoutedLoss } from '../src/index.js';

export { TRAJECTORY_RTOL } from '@gluon-loss/golden';

/** What a replay gives back: each step's relative deviation from MXNet, and the backends that ran its calls. */
export interface RouterReplay {
  readonly deviation: number[];
  readonly backends: string[];
}

/**
 * Replays a run with `loss` (a routed loss of the run's loss and config, which the replay
 * disposes), one forwardBackward per step; `explain().backend` after each call says who ran it.
 */
export async function replayThroughRouter(run: TrainingRun, loss: RoutedLoss): Promise<RouterReplay> {
  const backends = new Set<string>();
  try {
    const losses = await replayTraining(run, loss, () => backends.add(loss.explain().backend ?? 'none'));
    return { deviation: trajectoryDeviation(run, losses), backends: [...backends] };
  } finally {
    loss.dispose();
  }
}
