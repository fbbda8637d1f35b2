/**
 * The browser example (examples/browser) as a user runs it: Vite bundles the page (as
 * `vite build` or `vite` would), the shared harness serves it on 127.0.0.1 and opens it in
 * headless Chromium (SwiftShader serves WebGL and WebGPU on a machine without a GPU), once
 * per tfjs backend. The page trains on its own; the test waits for `window.trainingExample`
 * and checks that every step's loss follows MXNet's training golden within the replay
 * tests' tolerance (TRAJECTORY_RTOL), that no tensor is left behind and that the backend
 * the page chose is still the active one. The README's way to run it, Vite's dev server on
 * the page's folder, is opened once too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPage, launchChromium, withHarnessPage } from '@gluon-loss/browser-harness';
import { createServer } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRAJECTORY_RTOL } from '../../packages/tfjs/test/replay-run.js';

interface ExampleResult {
  readonly error?: string;
  readonly backend: string;
  readonly losses: number[];
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
}

const BACKENDS = ['webgl', 'webgpu'] as const;
const pageSource = fileURLToPath(new URL('../browser/', import.meta.url));
const pageBuild = fileURLToPath(new URL('../test-output/browser-example/', import.meta.url));
const golden = JSON.parse(
  readFileSync(new URL('../../conformance/golden/training/softmax-classifier.json', import.meta.url), 'utf8'),
) as { steps: number; losses: { data: number[] } };

/** Each step's relative deviation from MXNet's loss. */
const deviationFromMxnet = (losses: readonly number[]): number[] =>
  losses.map((v, i) => Math.abs(v - golden.losses.data[i]!) / Math.abs(golden.losses.data[i]!));

const results = new Map<string, ExampleResult>();
const shown = new Map<string, { status: string; rows: number }>();
let consoleLines: string[] = [];

beforeAll(async () => {
  await buildPage(pageSource, pageBuild);
  await withHarnessPage(
    async ({ page, console: lines }) => {
      consoleLines = lines;
      for (const backend of BACKENDS) {
        await page.goto(new URL(`?backend=${backend}`, page.url()).href);
        await page.waitForFunction(() => 'trainingExample' in globalThis, undefined, {
          polling: 250,
          timeout: 120_000,
        });
        results.set(
          backend,
          await page.evaluate(() => (globalThis as unknown as { trainingExample: ExampleResult }).trainingExample),
        );
        shown.set(backend, {
          status: await page.locator('#status').innerText(),
          rows: await page.locator('#steps tr').count(),
        });
      }
    },
    { root: pageBuild, readyGlobal: 'trainingExample' }, // the first load (webgl, the default) trains too
  );
}, 600_000);

describe.each(BACKENDS)('examples/browser on tfjs-%s in Chromium', (backend) => {
  it('trains on that backend without page errors, leaving no tensor behind', () => {
    const r = results.get(backend)!;
    expect(r.error).toBeUndefined();
    expect(consoleLines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(r.backend).toBe(backend); // tf.getBackend() after training: still the page's choice
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
  });

  it(`follows MXNet's softmax-classifier run within ${TRAJECTORY_RTOL} relative at every step`, () => {
    const r = results.get(backend)!;
    expect(r.losses).toHaveLength(golden.steps + 1);
    const worst = Math.max(...deviationFromMxnet(r.losses));
    console.info(`examples/browser on tfjs-${backend}: max relative deviation from MXNet ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TRAJECTORY_RTOL);
  });

  it('shows the loss of every step and a summary on the page', () => {
    const s = shown.get(backend)!;
    expect(s.rows).toBe(golden.steps + 1);
    expect(s.status).toMatch(new RegExp(`^${golden.steps} steps on ${backend} in \\d+ ms: loss 1\\.5808 → `));
  });
});

describe("examples/browser through Vite's dev server (the README's `pnpm exec vite examples/browser`)", () => {
  it("trains on the default backend, webgl, following MXNet's run, and shows every step", async () => {
    const server = await createServer({
      root: pageSource,
      configFile: false,
      logLevel: 'warn',
      cacheDir: fileURLToPath(new URL('../test-output/vite-cache/', import.meta.url)),
      server: { host: '127.0.0.1', port: 0, strictPort: true },
    });
    try {
      await server.listen();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(server.resolvedUrls!.local[0]!);
        await page.waitForFunction(() => 'trainingExample' in globalThis, undefined, {
          polling: 250,
          timeout: 120_000,
        });
        const r = await page.evaluate(
          () => (globalThis as unknown as { trainingExample: ExampleResult }).trainingExample,
        );
        expect(r.error).toBeUndefined();
        expect(errors).toEqual([]);
        expect(r.backend).toBe('webgl');
        expect(r.losses).toHaveLength(golden.steps + 1);
        expect(Math.max(...deviationFromMxnet(r.losses))).toBeLessThanOrEqual(TRAJECTORY_RTOL);
        expect(await page.locator('#steps tr').count()).toBe(golden.steps + 1);
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
    }
  }, 180_000);
});
