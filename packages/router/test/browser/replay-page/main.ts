/**
 * The Chromium page of the router's training replay: gluon-loss bundled by Vite with the
 * browser backends, driven through `window.routerReplayPage` by
 * training-replay-browser.test.ts. For the backend asked for it makes a router of that one
 * built-in with the policy `only:<backend>` (no timing, no fallback: a result can only come
 * from it), replays MXNet's training runs (given as their JSON) through `forwardBackward`
 * and reports each run's deviations and the backends `explain()` named. The Node side judges.
 */
import { backendOptions } from '@gluon-loss/browser-harness/page-kit';
import { decodeTrainingFile } from '@gluon-loss/golden';
import { createRouter } from '../../../src/index.js';
import { replayThroughRouter, type RouterReplay } from '../../training-replay-run.js';

export interface RouterReplayPageReport {
  readonly runs: Readonly<Record<string, RouterReplay>>;
  readonly availability: readonly { readonly backend: string; readonly state: string; readonly reason?: string }[];
}

export interface RouterReplayPageApi {
  run(backend: string, files: readonly unknown[]): Promise<RouterReplayPageReport>;
}

const api: RouterReplayPageApi = {
  async run(backend, files) {
    const router = createRouter({ builtins: [backend], backendOptions, policy: `only:${backend}` });
    const runs: Record<string, RouterReplay> = {};
    for (const f of files) {
      const run = decodeTrainingFile(f);
      runs[run.name] = await replayThroughRouter(run, await router.createLoss(run.loss, run.config));
    }
    const availability = router.availability();
    await router.dispose();
    return { runs, availability };
  },
};

(globalThis as { routerReplayPage?: RouterReplayPageApi }).routerReplayPage = api;
