/**
 * @gluon-loss/tfjs in the browser: MXNet's training runs replayed with tfLoss inside `optimizer.minimize` on tfjs-webgl
 * and tfjs-webgpu in headless Chromium (SwiftShader): the page bundles @gluon-loss/tfjs with
 * Vite and the shared harness drives it. Same tolerance as in Node (TRAJECTORY_RTOL).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage, withHarnessPage } from '../src/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReplayPageApi, ReplayPageReport } from './tfjs-replay-page/main.js';
import { TRAJECTORY_RTOL } from '../../tfjs/test/replay-run.js';

const pageSource = fileURLToPath(new URL('./tfjs-replay-page/', import.meta.url));
const pageBuild = fileURLToPath(new URL('../test-output/tfjs-replay-page/', import.meta.url));
const trainingDir = fileURLToPath(new URL('../../../conformance/golden/training/', import.meta.url));
const files = readdirSync(trainingDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(trainingDir, f), 'utf8')) as unknown);

const reports = new Map<string, ReplayPageReport>();
let consoleLines: string[] = [];

beforeAll(async () => {
  await buildPage(pageSource, pageBuild);
  await withHarnessPage(
    async ({ page, console: lines }) => {
      consoleLines = lines;
      for (const backend of ['webgl', 'webgpu']) {
        const report = await page.evaluate(
          ([b, f]) => (globalThis as unknown as { tfjsReplayPage: ReplayPageApi }).tfjsReplayPage.run(b, f),
          [backend, files] as const,
        );
        reports.set(backend, report);
      }
    },
    { root: pageBuild, readyGlobal: 'tfjsReplayPage' },
  );
}, 600_000);

describe.each(['webgl', 'webgpu'])('tfjs-%s in Chromium', (backend) => {
  it('ran on that backend without page errors, leaving no tensor behind', () => {
    const r = reports.get(backend)!;
    expect(r.active).toBe(backend);
    expect(consoleLines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
  });

  it(`follows MXNet's four training runs within ${TRAJECTORY_RTOL} relative at every step`, () => {
    const r = reports.get(backend)!;
    console.info(`tfjs-${backend} (Chromium): ${JSON.stringify(r.deviations)}`);
    expect(Object.keys(r.deviations)).toHaveLength(4);
    for (const [run, worst] of Object.entries(r.deviations)) expect(worst, run).toBeLessThanOrEqual(TRAJECTORY_RTOL);
  });
});
