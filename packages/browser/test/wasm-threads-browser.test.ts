/**
 * wasm-simd-mt in headless Chromium: in the cross-origin-isolated harness page its Web
 * Workers run large calls on the shared memory (at least two of them ran tasks) and give
 * the same bits as single-threaded wasm-simd; in a page served without the isolation
 * headers it is unavailable, says why and never fetches the threaded module (a chunk of
 * its own in the page's Vite bundle); and as a backend module
 * (`gluon-conformance --browser --backend .../backend-wasm/dist/mt.js`) it passes every
 * golden case it does not refuse.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConformanceInChromium } from '@gluon-loss/conformance/chromium';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { pageDir, withHarnessPage, type HarnessApi, type WasmThreadsReport } from '../src/index.js';

/** backend-wasm's `./mt` entry, as @gluon-loss/backends sees it (pnpm keeps it private there). */
const mtModule = createRequire(createRequire(import.meta.url).resolve('@gluon-loss/backends')).resolve(
  '@gluon-loss/backend-wasm/mt',
);
const MT_CHUNK = /^kernels-mt\.generated-[\w-]+\.js$/;

/** A generated module's whole base64 text (the two modules share most of their code bytes). */
function moduleBase64(file: string): string {
  return /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(join(dirname(mtModule), file), 'utf8'))![1]!;
}

/** The page's wasmThreads() report, and the page's requests made while it ran. */
async function wasmThreadsInPage(crossOriginIsolated: boolean) {
  return withHarnessPage(
    async ({ page, console: lines }) => {
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname.split('/').pop()!));
      const report: WasmThreadsReport = await page.evaluate(
        (req) => (globalThis as unknown as { gluonHarness: HarnessApi }).gluonHarness.wasmThreads(req),
        { threads: 4 },
      );
      return { report, lines, requests };
    },
    { crossOriginIsolated },
  );
}

describe('wasm-simd-mt in Chromium', () => {
  it("keeps the threaded module in a chunk of its own in the page's Vite bundle", () => {
    const chunks = readdirSync(join(pageDir, 'assets')).filter((f) => f.endsWith('.js'));
    const holding = (sample: string) =>
      chunks.filter((f) => readFileSync(join(pageDir, 'assets', f), 'utf8').includes(sample));
    const mt = holding(moduleBase64('kernels-mt.generated.js'));
    expect(mt).toHaveLength(1);
    expect(mt[0]).toMatch(MT_CHUNK);
    const single = holding(moduleBase64('kernels.generated.js'));
    expect(single).toHaveLength(1);
    expect(single[0]).not.toMatch(MT_CHUNK);
  });

  it('spreads large calls over at least two Web Workers and matches wasm-simd bit for bit', async () => {
    const { report, lines, requests } = await wasmThreadsInPage(true);
    expect(lines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(requests.filter((r) => MT_CHUNK.test(r))).toHaveLength(1);
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.availability).toEqual({ available: true });
    expect(report.workerTasks).toHaveLength(3);
    expect(report.workerTasks.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(report.cases.map((c) => c.loss)).toEqual(['L2Loss', 'LogisticLoss', 'SoftmaxCrossEntropyLoss']);
    for (const c of report.cases) {
      expect(c.elements, c.loss).toBeGreaterThan(2 * c.shape.reduce((a, b) => a * b, 1));
      expect(c.differences, c.loss).toBe(0);
    }
  });

  it('is unavailable, with the reason, in a page that is not cross-origin isolated, and never fetches its module', async () => {
    const { report, requests } = await wasmThreadsInPage(false);
    expect(report.crossOriginIsolated).toBe(false);
    expect(requests.filter((r) => MT_CHUNK.test(r))).toEqual([]);
    expect(report.availability.available).toBe(false);
    if (!report.availability.available) {
      expect(report.availability.reason).toMatch(/wasm-simd-mt.*not cross-origin isolated.*require-corp/);
    }
    expect(report.cases).toEqual([]);
  });

  it('passes every golden case it does not refuse, as a backend module', async () => {
    const { report, console: lines } = await runConformanceInChromium({ modules: [mtModule] });
    expect(lines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(report.backends).toEqual([{ name: 'wasm-simd-mt', available: true }]);
    expect(report.results).toHaveLength(readGoldenDir().cases.length);
    for (const r of report.results) {
      if (r.status === 'unsupported') expect(r.message, `${r.case}: a refusal states why`).toMatch(/\S/);
      else expect(r.status, `${r.case}: ${r.message ?? ''}`).toBe('pass');
    }
  });
});
