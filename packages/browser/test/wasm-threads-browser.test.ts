/**
 * wasm-simd-mt in headless Chromium: in the cross-origin-isolated harness page its Web
 * Workers run large calls on the shared memory (at least two of them ran tasks) and give
 * the same bits as single-threaded wasm-simd; in a page served without the isolation
 * headers it is unavailable and says why; and as a backend module
 * (`gluon-conformance --browser --backend .../backend-wasm/dist/mt.js`) it passes every
 * golden case it does not refuse.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runConformanceInChromium } from '@gluon-loss/conformance/chromium';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { runWasmThreads } from '../src/index.js';

/** backend-wasm's `./mt` entry, as @gluon-loss/backends sees it (pnpm keeps it private there). */
const mtModule = createRequire(createRequire(import.meta.url).resolve('@gluon-loss/backends')).resolve(
  '@gluon-loss/backend-wasm/mt',
);

describe('wasm-simd-mt in Chromium', () => {
  it('spreads large calls over at least two Web Workers and matches wasm-simd bit for bit', async () => {
    const { report, console: lines } = await runWasmThreads({ threads: 4 });
    expect(lines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
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

  it('is unavailable, with the reason, in a page that is not cross-origin isolated', async () => {
    const { report } = await runWasmThreads({ threads: 4 }, { crossOriginIsolated: false });
    expect(report.crossOriginIsolated).toBe(false);
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
