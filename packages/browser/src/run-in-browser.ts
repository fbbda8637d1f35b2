/** Runs the harness page in headless Chromium and hands back what it computed. */
import type { Page } from 'playwright-core';
import type { ConformanceReport } from '@gluon-loss/conformance';
import { launchChromium } from './chromium.js';
import { parsePlacementLog, type PlacementSummary } from './placement.js';
import type { ConformanceRequest, HarnessApi } from './protocol.js';
import { startHarnessServer } from './server.js';

export interface HarnessSession {
  readonly page: Page;
  /** Every console message and page error so far, as `type: text`. */
  readonly console: string[];
}

export interface HarnessPageOptions {
  /** A folder holding another bundled page (default: this package's harness page). */
  readonly root?: string;
  /** The global the page defines when it is ready (default `gluonHarness`). */
  readonly readyGlobal?: string;
  /** The golden files the page is served (default: the committed goldens). */
  readonly goldenDir?: string;
  /** Serve the page cross-origin isolated (default true). */
  readonly crossOriginIsolated?: boolean;
}

/** Serves the page, opens it in Chromium, runs `body`, and closes everything, even on failure. */
export async function withHarnessPage<T>(
  body: (session: HarnessSession) => Promise<T>,
  options: HarnessPageOptions = {},
): Promise<T> {
  const server = await startHarnessServer({
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.goldenDir === undefined ? {} : { goldenDir: options.goldenDir }),
    ...(options.crossOriginIsolated === undefined ? {} : { crossOriginIsolated: options.crossOriginIsolated }),
  });
  const readyGlobal = options.readyGlobal ?? 'gluonHarness';
  try {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const consoleLines: string[] = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
      await page.goto(server.url);
      // polling, not requestAnimationFrame: rAF polling hangs in headless Chromium here
      await page.waitForFunction((name) => name in globalThis, readyGlobal, { polling: 250, timeout: 60_000 });
      return await body({ page, console: consoleLines });
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}

export async function runBrowserConformance(
  request: ConformanceRequest,
  options: HarnessPageOptions = {},
): Promise<{ report: ConformanceReport; console: string[] }> {
  return withHarnessPage(async ({ page, console: lines }) => {
    const report = await page.evaluate(
      (req) => (globalThis as unknown as { gluonHarness: HarnessApi }).gluonHarness.conformance(req),
      request,
    );
    return { report, console: lines };
  }, options);
}

/** Runs `filter`'s golden cases on onnx-webgpu with ORT's verbose log and reads where each node ran. */
export async function runOnnxWebGpuPlacement(
  filter: readonly string[],
): Promise<{ report: ConformanceReport; placement: PlacementSummary }> {
  return withHarnessPage(async ({ page, console: lines }) => {
    const report = await page.evaluate(
      (req) => (globalThis as unknown as { gluonHarness: HarnessApi }).gluonHarness.onnxWebGpuPlacement(req),
      { filter },
    );
    return { report, placement: parsePlacementLog(lines) };
  });
}
