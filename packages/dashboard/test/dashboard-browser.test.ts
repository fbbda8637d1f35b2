/**
 * The dashboard end to end: a real (tiny) bench run, plus a corrupt and a foreign file in
 * the same folder, rendered by the CLI into one HTML file; then that file, opened from
 * disk in headless Chromium (playwright-core, Debian's /usr/bin/chromium), must draw every
 * chart with data and log no console error. The screenshot is kept in test-output/.
 * Timings are rendered, never judged.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findRepoRoot, resultsFileName, runBench, type TimingSettings } from '@gluon-loss/bench';
import { launchChromium } from '@gluon-loss/browser-harness';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCharts, buildDashboard } from '../src/index.js';
import { readResultsDir } from '@gluon-loss/bench';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '..', 'dist', 'cli.js');
const outputDir = resolve(here, '..', 'test-output');
const TINY: TimingSettings = { timeMs: 5, minIterations: 3, warmupIterations: 1, slowCallMs: 200, slowIterations: 2 };

interface ChartState {
  id: string;
  series: { name: string; type: string; points: number }[];
  canvas: [number, number] | null;
}

describe('the dashboard in headless Chromium', () => {
  const resultsDir = mkdtempSync(join(tmpdir(), 'dashboard-results-'));
  const html = join(outputDir, 'index.html');
  let cliOutput: { stdout: string; stderr: string };
  let browser: Browser;
  let charts: ChartState[];
  let chartDivs: number;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const python = join(findRepoRoot()!, '.venv', 'bin', 'python');
    // two runs, so that the history charts have two points
    for (const filter of [
      ['L2Loss/*/ts', 'L2Loss/*/onnx-wasm'],
      ['L2Loss/*/ts', 'L2Loss/*/onnx-wasm', 'CTCLoss/*/ts'],
    ]) {
      const results = await runBench({ quick: true, filter, timing: TINY, python, router: false });
      writeFileSync(join(resultsDir, resultsFileName(new Date(results.startedAt))), JSON.stringify(results));
      await new Promise((ok) => setTimeout(ok, 1100)); // distinct file names (whole seconds)
    }
    writeFileSync(join(resultsDir, 'corrupt.json'), '{"format": "gluon-loss-bench", "cells": [');
    writeFileSync(join(resultsDir, 'foreign.json'), JSON.stringify({ name: 'some-package', version: '1.0.0' }));
    mkdirSync(outputDir, { recursive: true });
    const rendered = spawnSync(process.execPath, [cli, '--results', resultsDir, '--out', html], { encoding: 'utf8' });
    expect(rendered.status, rendered.stderr).toBe(0);
    cliOutput = { stdout: rendered.stdout, stderr: rendered.stderr };

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction(() => (globalThis as { dashboardReady?: boolean }).dashboardReady === true, undefined, {
      polling: 250,
      timeout: 60_000,
    });
    ({ charts, chartDivs } = await page.evaluate(() => {
      const g = globalThis as unknown as {
        dashboardCharts: string[];
        echarts: {
          getInstanceByDom(
            el: Element,
          ): { getOption(): { series: { name: string; type: string; data?: unknown[] }[] } } | undefined;
        };
      };
      const states = g.dashboardCharts.map((id) => {
        const el = document.getElementById(id)!;
        const instance = g.echarts.getInstanceByDom(el);
        const canvas = el.querySelector('canvas');
        return {
          id,
          series: (instance?.getOption().series ?? []).map((s) => ({
            name: s.name,
            type: s.type,
            points: (s.data ?? []).filter((d) => d !== '-' && d !== null && d !== undefined).length,
          })),
          canvas: canvas ? ([canvas.width, canvas.height] as [number, number]) : null,
        };
      });
      return { charts: states, chartDivs: document.querySelectorAll('.chart').length };
    }));
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('skips the corrupt and the foreign file with a warning naming each', () => {
    expect(cliOutput.stderr).toContain(`warning: skipped ${join(resultsDir, 'corrupt.json')}: not valid JSON`);
    expect(cliOutput.stderr).toContain(`warning: skipped ${join(resultsDir, 'foreign.json')}: $.format`);
    expect(cliOutput.stdout).toMatch(/dashboard of 2 run\(s\)/);
  });

  it('is one file that loads nothing else (opened from disk, no server)', () => {
    expect(requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([
      pathToFileURL(html).href,
    ]);
  });

  it('has an ECharts instance for every chart of the model, and no chart placeholder left empty', () => {
    const { runs, skipped } = readResultsDir(resultsDir);
    const expected = allCharts(buildDashboard(runs, skipped)).map((c) => c.id);
    expect(charts.map((c) => c.id)).toEqual(expected);
    expect(chartDivs).toBe(expected.length);
    // the overview, then time vs size (two modes), ratio and history per loss
    expect(expected).toEqual(
      expect.arrayContaining([
        'overview-ratio',
        'overview-trend',
        'time-l2loss-forward',
        'ratio-l2loss',
        'history-l2loss',
        'time-ctcloss-forwardBackward',
      ]),
    );
  });

  it('draws every chart on a canvas, with every series holding data', () => {
    for (const c of charts) {
      expect(c.canvas, c.id).not.toBeNull();
      expect(c.canvas![0] * c.canvas![1], c.id).toBeGreaterThan(0);
      expect(c.series.length, c.id).toBeGreaterThan(0);
      for (const s of c.series) expect(s.points, `${c.id} ${s.name}`).toBeGreaterThan(0);
    }
  });

  it('shows MXNet and the tfjs built-ins as reference lines beside the backends', () => {
    const names = charts.find((c) => c.id === 'time-l2loss-forward')!.series.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['ts', 'onnx-wasm', 'MXNet', 'tfjs-cpu built-in', 'tfjs-wasm built-in', 'roofline']),
    );
  });

  it('logs no console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
