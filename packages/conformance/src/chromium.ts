/**
 * `gluon-conformance --browser`: the golden cases in headless Chromium, on backend modules
 * an author wrote. The browser is Debian's (`apt-get install chromium`, or CHROMIUM_PATH),
 * driven by playwright-core, an optional peer: no browser is ever downloaded.
 */
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserType } from 'playwright-core';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import { CHROMIUM_PAGE_PATHS, type ChromiumPageApi } from './chromium-protocol.js';
import { startChromiumPageServer } from './chromium-server.js';

/** Static files from a folder and its mounts, as the page servers send them (the harness's too). */
export { CROSS_ORIGIN_ISOLATION_HEADERS, sendMountedFile } from './chromium-server.js';
import type { ConformanceReport } from './report.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Checked with Debian's Chromium 156 (headless): this set gives both WebGL 2 (ANGLE on
 * Vulkan/SwiftShader) and a WebGPU adapter (SwiftShader) on a machine without a GPU.
 * --enable-unsafe-webgpu: without it requestAdapter() returns null.
 * --enable-unsafe-swiftshader: Chromium is deprecating the automatic fall-back to software
 *   WebGL; this keeps WebGL on SwiftShader allowed explicitly.
 * --disable-gpu: no hardware GPU process (there is none); software paths still serve both APIs.
 * The rest keep a headless run quiet and off the network.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
] as const;

/** The exact peer this package was tested with (what the error tells an author to add). */
export const PLAYWRIGHT_CORE = 'playwright-core@1.65.1';

export async function launchChromium(): Promise<Browser> {
  let chromium: BrowserType;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error(
      `running in Chromium needs ${PLAYWRIGHT_CORE} beside this package (npx -p @gluon-loss/conformance -p ${PLAYWRIGHT_CORE} gluon-conformance --browser ...)`,
    );
  }
  try {
    return await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS],
    });
  } catch (e) {
    throw new Error(
      `cannot start Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH): ${(e as Error).message}`,
      { cause: e },
    );
  }
}

const pageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist-page');

export interface ChromiumRunOptions {
  /** Paths of ES modules whose default export is a Backend, as given on the command line. */
  readonly modules: readonly string[];
  /** A folder of golden files (default: the shipped ones). */
  readonly goldenDir?: string;
  readonly filter?: readonly string[];
}

/** Runs the golden cases on each module's backend in headless Chromium; returns the report and the page's console. */
export async function runConformanceInChromium(
  options: ChromiumRunOptions,
): Promise<{ report: ConformanceReport; console: string[] }> {
  const files = options.modules.map((m) => resolve(m));
  const server = await startChromiumPageServer({
    pageDir,
    goldenDir: options.goldenDir ?? defaultGoldenDir,
    moduleDirs: files.map((f) => dirname(f)),
  });
  try {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const lines: string[] = [];
      page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
      await page.goto(server.url);
      // polling, not requestAnimationFrame: rAF polling hangs in headless Chromium
      await page.waitForFunction(() => 'gluonConformance' in globalThis, undefined, { polling: 250, timeout: 60_000 });
      type WithApi = { gluonConformance: ChromiumPageApi };
      server.setSpecExports(
        await page.evaluate(() => (globalThis as unknown as WithApi).gluonConformance.specExports()),
      );
      const request = {
        modules: files.map((f, i) => ({
          specifier: options.modules[i]!,
          url: `${CHROMIUM_PAGE_PATHS.backend}${i}/${encodeURIComponent(basename(f))}`,
        })),
        ...(options.filter && options.filter.length > 0 ? { filter: options.filter } : {}),
      };
      const report = await page.evaluate(
        (req) => (globalThis as unknown as WithApi).gluonConformance.run(req),
        request,
      );
      return { report, console: lines };
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}
