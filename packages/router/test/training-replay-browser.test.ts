/**
 * MXNet 1.9.1's training runs replayed with the router's `forwardBackward` in a plain
 * TypeScript loop (training-replay-run.ts, as in Node) on tfjs-webgl and tfjs-webgpu in
 * headless Chromium (SwiftShader serves both on a machine without a GPU): a Vite-bundled
 * page (browser/replay-page) makes a router of that one backend with `only:<backend>`, and
 * the shared harness serves it and drives Chromium. Every step must follow MXNet's curve
 * within TRAJECTORY_RTOL, and every call must have run on the backend asked for. (The other
 * path, tfLoss inside optimizer.minimize, is packages/browser/test/tfjs-replay-browser.test.ts.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage, withHarnessPage } from '@gluon-loss/browser-harness';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouterReplayPageApi, RouterReplayPageReport } from './browser/replay-page/main.js';
import { TRAJECTORY_RTOL } from './training-replay-run.js';

const BACKENDS = ['tfjs-webgl', 'tfjs-webgpu'] as const;
const pageSource = fileURLToPath(new URL('./browser/replay-page/', import.meta.url));
const pageBuild = fileURLToPath(new URL('../test-output/router-replay-page/', import.meta.url));
const trainingDir = fileURLToPath(new URL('../../../conformance/golden/training/', import.meta.url));
const files = readdirSync(trainingDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(trainingDir, f), 'utf8')) as { name: string; steps: number });

const reports = new Map<string, RouterReplayPageReport>();
let consoleLines: string[] = [];

beforeAll(async () => {
  await buildPage(pageSource, pageBuild);
  await withHarnessPage(
    async ({ page, console: lines }) => {
      consoleLines = lines;
      for (const backend of BACKENDS) {
        const report = await page.evaluate(
          ([b, f]) => (globalThis as unknown as { routerReplayPage: RouterReplayPageApi }).routerReplayPage.run(b, f),
          [backend, files] as const,
        );
        reports.set(backend, report);
      }
    },
    { root: pageBuild, readyGlobal: 'routerReplayPage' },
  );
}, 600_000);

describe.each(BACKENDS)("the router's forwardBackward on %s in Chromium", (backend) => {
  it('ran every call on that backend, without page errors', () => {
    const r = reports.get(backend)!;
    expect(consoleLines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(r.availability.find((a) => a.backend === backend)?.state).toBe('available');
    expect(Object.keys(r.runs).sort()).toEqual(files.map((f) => f.name));
    for (const [run, replay] of Object.entries(r.runs)) expect(replay.backends, run).toEqual([backend]);
  });

  it.each(files)(`$name: follows MXNet over $steps steps within ${TRAJECTORY_RTOL} relative`, ({ name, steps }) => {
    const { deviation } = reports.get(backend)!.runs[name]!;
    const worst = Math.max(...deviation);
    console.info(`router on ${backend} (Chromium) ${name}: max relative deviation ${worst.toExponential(2)}`);
    expect(deviation).toHaveLength(steps + 1);
    expect(worst).toBeLessThanOrEqual(TRAJECTORY_RTOL);
  });
});
