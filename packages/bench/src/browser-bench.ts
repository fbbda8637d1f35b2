/**
 * The browser-only backends (tfjs-webgl, tfjs-webgpu, onnx-webgpu), timed in headless
 * Chromium: the bench's page (dist/page/, served by the browser harness's server with the
 * wasm binaries) loads them from the registry and times each case with the same code as
 * Node. WebGL and WebGPU run on SwiftShader here (a CPU emulation), so these figures say
 * what a machine without a GPU gets, not what a GPU would do.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HARNESS_PATHS,
  chromiumAvailable,
  launchChromium,
  startHarnessServer,
  type HarnessServer,
} from '@gluon-loss/browser-harness';
import type { Browser, Page } from 'playwright-core';
import type { BrowserBenchApi, BrowserCaseRequest } from './browser-protocol.js';
import type { BackendStatus, Cell } from './format.js';

/** The bundled page, found from src/ (tests) and dist/ alike. */
export const BENCH_PAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'page');

export class BrowserBench {
  private constructor(
    private readonly server: HarnessServer,
    private readonly browser: Browser,
    private readonly page: Page,
    /** The page's console, for the reason when a case fails. */
    private readonly console: string[],
    readonly statuses: readonly BackendStatus[],
  ) {}

  /** Opens the page and loads the backends there; rejects with the reason it cannot. */
  static async start(backends: readonly string[]): Promise<BrowserBench> {
    const chromium = chromiumAvailable();
    if (!chromium.available) throw new Error(chromium.reason);
    if (!existsSync(join(BENCH_PAGE_DIR, 'index.html')))
      throw new Error(`the bench page is not built (no ${BENCH_PAGE_DIR}/index.html): run the build`);
    const server = await startHarnessServer({ root: BENCH_PAGE_DIR });
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const lines: string[] = [];
      page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
      await page.goto(server.url);
      // polling, not requestAnimationFrame: rAF polling hangs in headless Chromium here
      await page.waitForFunction(() => 'gluonBench' in globalThis, undefined, { polling: 250, timeout: 60_000 });
      const statuses = await page.evaluate(
        (request) => (globalThis as unknown as { gluonBench: BrowserBenchApi }).gluonBench.init(request),
        { backends: [...backends], wasmPaths: { tfjs: HARNESS_PATHS.tfjsWasm, ort: HARNESS_PATHS.ortWasm } },
      );
      return new BrowserBench(server, browser, page, lines, statuses);
    } catch (e) {
      await browser?.close();
      await server.close();
      throw e;
    }
  }

  /** Times one case in the page; if the page itself fails, every requested cell fails with the reason. */
  async runCase(request: BrowserCaseRequest): Promise<Cell[]> {
    try {
      return await this.page.evaluate(
        (r) => (globalThis as unknown as { gluonBench: BrowserBenchApi }).gluonBench.runCase(r),
        request,
      );
    } catch (e) {
      const reason = `the bench page failed: ${(e as Error).message.split('\n')[0]}${this.console.length ? ` (${this.console.slice(-2).join(' | ')})` : ''}`;
      const c = request.benchCase;
      const base = { loss: c.loss, size: c.size, elements: c.elements, status: 'failed' as const, reason };
      return [
        ...request.backends.flatMap((b) => b.modes.map((mode) => ({ ...base, backend: b.name, mode }))),
        ...request.builtins.flatMap((b) => b.modes.map((mode) => ({ ...base, backend: `tfjs-${b.variant}`, mode }))),
      ];
    }
  }

  async close(): Promise<void> {
    try {
      await this.page.evaluate(() => (globalThis as unknown as { gluonBench: BrowserBenchApi }).gluonBench.dispose());
    } catch {
      // the browser is closed next either way
    }
    await this.browser.close();
    await this.server.close();
  }
}
