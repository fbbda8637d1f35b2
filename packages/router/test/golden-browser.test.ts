/**
 * Every MXNet golden case through `createLoss` in headless Chromium: a test page bundles
 * gluon-loss with Vite (so nothing Node-only may be on its path), the shared harness serves
 * it and drives Chromium, and the page runs the cases on one router with every browser
 * backend (loaded lazily, timed per bucket on its first call). Checks: the values match MXNet, each result came from a backend eligible
 * for its loss in the browser, and explain() named the backend that produced it. Which
 * backend wins is not asserted.
 */
import { fileURLToPath } from 'node:url';
import { buildPage, withHarnessPage } from '@gluon-loss/browser-harness';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { LOSS_NAMES, canonicalLossName } from '@gluon-loss/spec';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  RouterGoldenCase as RouterCaseResult,
  RouterGoldenReport as RouterReport,
} from './browser/golden-in-page.js';
import type { RouterPageApi } from './browser/page/main.js';

const pageSource = fileURLToPath(new URL('./browser/page/', import.meta.url));
const pageBuild = fileURLToPath(new URL('../test-output/router-page/', import.meta.url));

const caseNames = readGoldenDir().cases.map((c) => c.name);
const results = new Map<string, RouterCaseResult>();
let report: RouterReport | undefined;
let consoleLines: string[] = [];

beforeAll(async () => {
  await buildPage(pageSource, pageBuild);
  await withHarnessPage(
    async ({ page, console: lines }) => {
      consoleLines = lines;
      // One loss per evaluate: progress in small steps, on the one router the page keeps.
      for (const loss of LOSS_NAMES) {
        report = await page.evaluate(
          (request) => (globalThis as unknown as { gluonRouterPage: RouterPageApi }).gluonRouterPage.run(request),
          { filter: [loss] },
        );
        for (const r of report.results) results.set(r.case, r);
      }
    },
    { root: pageBuild, readyGlobal: 'gluonRouterPage' },
  );
});

describe('the router in Chromium', () => {
  it('runs in the browser page, with no page errors', () => {
    expect(report?.userAgent).toContain('HeadlessChrome');
    expect(consoleLines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
  });

  it('loaded the browser backends it used lazily, and says why any is unavailable', () => {
    for (const a of report!.availability) {
      if (a.state === 'unavailable') expect(a.reason, a.backend).toBeTruthy();
    }
    expect(report!.availability.some((a) => a.state === 'available')).toBe(true);
  });
});

describe.each(caseNames)('%s', (caseName) => {
  it('matches MXNet through createLoss, on an eligible backend that explain() names', () => {
    const r = results.get(caseName);
    expect(r, 'not run').toBeDefined();
    expect(r!.ok, r!.message).toBe(true);
    if (r!.kind === 'rejection') return;
    const loss = canonicalLossName(r!.loss);
    for (const [ran, explained] of [
      [r!.ranForward, r!.explainedForward],
      [r!.ranForwardBackward, r!.explainedForwardBackward],
    ] as const) {
      expect(ran, 'the result came from a recorded backend').toBeDefined();
      expect(explained).toBe(ran);
      expect(report!.eligibility[ran!], `${ran} eligible for ${loss} in the browser`).toContain(loss);
    }
  });
});
