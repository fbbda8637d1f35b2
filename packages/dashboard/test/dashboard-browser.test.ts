/**
 * The dashboard end to end, in headless Chromium (playwright-core, Debian's
 * /usr/bin/chromium), opened from disk. Two pages, both rendered by the CLI:
 * - a real (tiny) bench run, twice (so history has two points), plus a corrupt and a
 *   foreign file in the same folder;
 * - one hand-made full run (fixtures.ts: twelve series per chart, JAX beside MXNet, the
 *   router choosing a slower backend), a single run so the history has one point.
 * Both carry the training curves of a real replay (`gluon-training-replay`, run here).
 * Each checks what a perf engineer reads: every legend entry shown without paging,
 * tooltips with units and three significant digits, the router's slower choices marked
 * with their ratio, a one-run history drawn on its own axis, and both training curves.
 * Screenshots go to the repo's test-output/dashboard/. Timings are rendered, never judged.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findRepoRoot, readResultsDir, resultsFileName, runBench, type TimingSettings } from '@gluon-loss/bench';
import { launchChromium } from '@gluon-loss/browser-harness';
import { readTrainingRuns } from '@gluon-loss/golden/node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allCharts,
  buildDashboard,
  readTrainingSection,
  validateTrainingReplay,
  type TrainingReplayFile,
} from '../src/index.js';
import { fullRun } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '..', 'dist', 'cli.js');
const trainingCli = resolve(here, '..', 'dist', 'training-cli.js');
const root = findRepoRoot()!;
const outputDir = join(root, 'test-output', 'dashboard');
const TINY: TimingSettings = { timeMs: 5, minIterations: 3, warmupIterations: 1, slowCallMs: 200, slowIterations: 2 };

/** Numbers written with a unit of measurement; each must have at most three significant digits. */
const MEASURED = /(-?\d[\d.e+-]*)\s?(ms|ns\/element|×|GB\/s)/g;
const significantDigits = (text: string): number =>
  text
    .replace(/e[+-]?\d+$/, '')
    .replace(/^-/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '').length;

const significantDigitsKept = (text: string): number =>
  text
    .replace(/e[+-]?\d+$/, '')
    .replace(/^-/, '')
    .replace('.', '')
    .replace(/^0+/, '').length;

interface ChartState {
  id: string;
  series: { name: string; type: string; points: number }[];
  canvas: [number, number] | null;
  echartsLegendShown: boolean;
  legend: {
    entries: string[];
    /** Entries whose box is empty, hidden, or outside the chart's panel. */
    hidden: string[];
    /** Distinct rows the entries sit on (wrapping). */
    rows: number;
    /** The legend box scrolls or clips (it would page). */
    overflows: boolean;
  };
}

type EChartsGlobal = {
  dashboardCharts: string[];
  echarts: {
    getInstanceByDom(el: Element):
      | {
          getOption(): {
            series: { name: string; type: string; data?: unknown[] }[];
            legend?: { show?: boolean; selected?: Record<string, boolean> }[];
            xAxis?: { type: string; data?: string[] }[];
          };
          dispatchAction(action: Record<string, unknown>): void;
          convertToPixel(finder: Record<string, unknown>, value: unknown[]): [number, number];
        }
      | undefined;
  };
};

async function openPage(browser: Browser, html: string, log: { errors: string[]; requests: string[] }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => log.requests.push(r.url()));
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction(() => (globalThis as { dashboardReady?: boolean }).dashboardReady === true, undefined, {
    polling: 250,
    timeout: 60_000,
  });
  return page;
}

function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as EChartsGlobal;
    return g.dashboardCharts.map((id) => {
      const el = document.getElementById(id)!;
      const instance = g.echarts.getInstanceByDom(el);
      const option = instance?.getOption();
      const canvas = el.querySelector('canvas');
      const panel = el.closest('figure')!.getBoundingClientRect();
      const box = document.querySelector(`.legend[data-chart="${id}"]`) as HTMLElement;
      const items = Array.from(box.querySelectorAll<HTMLElement>('.legend-item'));
      const hidden = items
        .filter((item) => {
          const r = item.getBoundingClientRect();
          const style = getComputedStyle(item);
          return (
            r.width === 0 ||
            r.height === 0 ||
            style.visibility !== 'visible' ||
            style.display === 'none' ||
            !item.checkVisibility() ||
            r.left < panel.left ||
            r.right > panel.right + 0.5 ||
            r.top < panel.top ||
            r.bottom > panel.bottom + 0.5
          );
        })
        .map((item) => item.dataset.series!);
      return {
        id,
        series: (option?.series ?? []).map((s) => ({
          name: s.name,
          type: s.type,
          points: (s.data ?? []).filter((d) => d !== '-' && d !== null && d !== undefined).length,
        })),
        canvas: canvas ? ([canvas.width, canvas.height] as [number, number]) : null,
        echartsLegendShown: option?.legend?.[0]?.show !== false,
        legend: {
          entries: items.map((item) => item.dataset.series!),
          hidden,
          rows: new Set(items.map((item) => Math.round(item.getBoundingClientRect().top))).size,
          overflows: box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1,
        },
      };
    });
  });
}

/** Shows the tooltip of one data point (or one category, for an axis tooltip) and returns its text. */
async function tooltipText(page: Page, id: string, seriesIndex: number, dataIndex: number): Promise<string> {
  await page.evaluate(
    ({ id, seriesIndex, dataIndex }) => {
      const g = globalThis as unknown as EChartsGlobal;
      g.echarts
        .getInstanceByDom(document.getElementById(id)!)!
        .dispatchAction({ type: 'showTip', seriesIndex, dataIndex });
    },
    { id, seriesIndex, dataIndex },
  );
  // ECharts draws its tooltip as an absolutely placed div inside the chart's element
  const tip = page.locator(`#${id} > div:not(:first-child)`).filter({ hasText: /\S/ }).last();
  await tip.waitFor({ state: 'visible', timeout: 10_000 });
  return (await tip.innerText()).replace(/\s+/g, ' ').trim();
}

function expectMeasured(text: string): void {
  const numbers = [...text.matchAll(MEASURED)].map((m) => m[1]!);
  expect(numbers.length, text).toBeGreaterThan(0);
  for (const n of numbers) expect(significantDigits(n), `${n} in ${text}`).toBeLessThanOrEqual(3);
  // a number with a decimal point shows its three digits, trailing zeros included (0.500, 2.00)
  for (const n of numbers.filter((x) => x.includes('.'))) expect(significantDigitsKept(n), `${n} in ${text}`).toBe(3);
}

function expectLegendsComplete(charts: readonly ChartState[]): void {
  for (const c of charts) {
    expect(c.echartsLegendShown, `${c.id}: ECharts' own (paging) legend is drawn`).toBe(false);
    expect(c.legend.entries, c.id).toEqual(c.series.map((s) => s.name));
    expect(c.legend.hidden, c.id).toEqual([]);
    expect(c.legend.overflows, c.id).toBe(false);
  }
}

/** Runs gluon-training-replay; returns its file, checked against MXNet's own curves (the goldens). */
function replayTraining(out: string): TrainingReplayFile {
  const replay = spawnSync(process.execPath, [trainingCli, '--out', out], { encoding: 'utf8' });
  expect(replay.status, replay.stderr).toBe(0);
  const file = validateTrainingReplay(JSON.parse(readFileSync(out, 'utf8')));
  const goldens = readTrainingRuns();
  expect(file.runs.map((r) => r.name)).toEqual(goldens.map((g) => g.name));
  for (const golden of goldens) {
    const r = file.runs.find((x) => x.name === golden.name)!;
    expect(r.mxnet).toEqual([...golden.losses]);
    // computed, not copied: within the replay tests' tolerance of MXNet, and not MXNet's numbers bit for bit
    expect(r.gluonLoss).toHaveLength(golden.steps + 1);
    r.gluonLoss.forEach((v, i) =>
      expect(Math.abs(v - golden.losses[i]!) / Math.abs(golden.losses[i]!), `${r.name} step ${i}`).toBeLessThanOrEqual(
        file.tolerance,
      ),
    );
    expect(r.gluonLoss).not.toEqual(r.mxnet);
  }
  return file;
}

function renderWithCli(resultsDir: string, html: string, training: string): { stdout: string; stderr: string } {
  const rendered = spawnSync(process.execPath, [cli, '--results', resultsDir, '--out', html, '--training', training], {
    encoding: 'utf8',
  });
  expect(rendered.status, rendered.stderr).toBe(0);
  return { stdout: rendered.stdout, stderr: rendered.stderr };
}

function trainingChecks(getCharts: () => ChartState[], getFile: () => TrainingReplayFile): void {
  it("draws MXNet's loss curve and gluon-loss's for every training golden", () => {
    const file = getFile();
    const training = getCharts().filter((c) => c.id.startsWith('training-'));
    expect(training).toHaveLength(file.runs.length);
    for (const [i, c] of training.entries()) {
      const run = file.runs[i]!;
      expect(c.series.slice(0, 2), c.id).toEqual([
        { name: 'MXNet 1.9.1', type: 'line', points: run.steps + 1 },
        { name: `gluon-loss (router: ${run.backend})`, type: 'line', points: run.steps + 1 },
      ]);
    }
  });
}

describe('the dashboard of a real bench run in headless Chromium', () => {
  const resultsDir = mkdtempSync(join(tmpdir(), 'dashboard-results-'));
  const html = join(outputDir, 'bench.html');
  const trainingFile = join(outputDir, 'bench-training.json');
  let cliOutput: { stdout: string; stderr: string };
  let browser: Browser;
  let page: Page;
  let charts: ChartState[];
  let training: TrainingReplayFile;
  let chartPanels: number;
  const log = { errors: [] as string[], requests: [] as string[] };

  beforeAll(async () => {
    mkdirSync(outputDir, { recursive: true });
    const python = join(root, '.venv', 'bin', 'python');
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
    training = replayTraining(trainingFile);
    cliOutput = renderWithCli(resultsDir, html, trainingFile);

    browser = await launchChromium();
    page = await openPage(browser, html, log);
    charts = await chartStates(page);
    chartPanels = await page.locator('figure.panel').count();
    await page.screenshot({ path: join(outputDir, 'bench.png'), fullPage: true });
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
    expect(log.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([
      pathToFileURL(html).href,
    ]);
  });

  it('has an ECharts instance for every chart of the model, and no chart placeholder left empty', () => {
    const { runs, skipped } = readResultsDir(resultsDir);
    const expected = allCharts(buildDashboard(runs, skipped, new Date(), readTrainingSection(trainingFile))).map(
      (c) => c.id,
    );
    expect(charts.map((c) => c.id)).toEqual(expected);
    expect(chartPanels).toBe(expected.length);
    expect(expected).toEqual(
      expect.arrayContaining([
        'overview-ratio',
        'overview-trend',
        'time-l2loss-forward',
        'per-element-l2loss-forwardBackward',
        'ratio-l2loss',
        'history-l2loss',
        'time-ctcloss-forwardBackward',
        'training-softmax-classifier',
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

  it('shows MXNet and the tfjs built-ins as reference lines beside the backends, every legend entry visible', () => {
    const names = charts.find((c) => c.id === 'time-l2loss-forward')!.series.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['ts', 'onnx-wasm', 'MXNet', 'tfjs-cpu built-in', 'tfjs-wasm built-in', 'roofline']),
    );
    expectLegendsComplete(charts);
  });

  it('writes tooltips with units and three significant digits', async () => {
    const c = charts.find((x) => x.id === 'time-l2loss-forward')!;
    for (const [i, s] of c.series.entries()) {
      const text = await tooltipText(page, c.id, i, 0);
      expect(text, s.name).toContain(s.name);
      expectMeasured(text);
    }
    expectMeasured(await tooltipText(page, 'ratio-l2loss', 0, 0));
  });

  it('draws history on a time axis across runs, and on an axis of its run where only one run has the cell', async () => {
    const axes = await page.evaluate(() => {
      const g = globalThis as unknown as EChartsGlobal;
      const axisOf = (id: string) =>
        g.echarts.getInstanceByDom(document.getElementById(id)!)!.getOption().xAxis![0]!.type;
      return { l2: axisOf('history-l2loss'), ctc: axisOf('history-ctcloss') };
    });
    // L2Loss is in both runs, CTCLoss only in the second
    expect(axes).toEqual({ l2: 'time', ctc: 'category' });
  });

  trainingChecks(
    () => charts,
    () => training,
  );

  it('logs no console error', () => {
    expect(log.errors).toEqual([]);
  });
});

describe('the dashboard of a full run (hand-made) in headless Chromium', () => {
  const resultsDir = mkdtempSync(join(tmpdir(), 'dashboard-fixture-'));
  const html = join(outputDir, 'fixture.html');
  const trainingFile = join(outputDir, 'fixture-training.json');
  let browser: Browser;
  let page: Page;
  let charts: ChartState[];
  let training: TrainingReplayFile;
  const log = { errors: [] as string[], requests: [] as string[] };

  beforeAll(async () => {
    mkdirSync(outputDir, { recursive: true });
    const { results } = fullRun();
    writeFileSync(join(resultsDir, resultsFileName(new Date(results.startedAt))), JSON.stringify(results));
    training = replayTraining(trainingFile);
    renderWithCli(resultsDir, html, trainingFile);
    browser = await launchChromium();
    page = await openPage(browser, html, log);
    charts = await chartStates(page);
    await page.screenshot({ path: join(outputDir, 'fixture.png'), fullPage: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows every legend entry of every chart without paging: twelve series wrap onto more lines', async () => {
    expectLegendsComplete(charts);
    const time = charts.find((c) => c.id === 'time-l2loss-forwardBackward')!;
    expect(time.legend.entries).toHaveLength(13);
    expect(time.legend.rows).toBeGreaterThan(1);
    await page.locator('#panel-time-l2loss-forwardBackward').screenshot({ path: join(outputDir, 'legend.png') });
  });

  it('hides and shows a series from its legend entry', async () => {
    const item = page.locator('.legend[data-chart="time-l2loss-forward"] .legend-item[data-series="JAX"]');
    const selected = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as EChartsGlobal;
        return g.echarts.getInstanceByDom(document.getElementById('time-l2loss-forward')!)!.getOption().legend![0]!
          .selected!.JAX;
      });
    await item.click();
    expect(await selected()).toBe(false);
    expect(await item.getAttribute('aria-pressed')).toBe('false');
    await item.click();
    expect(await selected()).toBe(true);
  });

  it('writes every tooltip it shows with units and three significant digits', async () => {
    const time = charts.find((c) => c.id === 'time-l2loss-forwardBackward')!;
    for (const [i, s] of time.series.entries()) {
      const text = await tooltipText(page, time.id, i, 1);
      expect(text, s.name).toContain(s.name);
      expectMeasured(text);
    }
    expect(await tooltipText(page, time.id, 0, 1)).toBe(
      'ts L2Loss 256x256 (65,536 elements), forward+backward median 0.131 ms · 2.00 ns/element',
    );
    expectMeasured(await tooltipText(page, 'per-element-l2loss-forward', 2, 2));
    expectMeasured(await tooltipText(page, 'ratio-l2loss', 0, 0));
    expectMeasured(await tooltipText(page, 'overview-ratio', 0, 0));
    await tooltipText(page, 'time-l2loss-forwardBackward', 9, 2);
    await page.locator('#panel-time-l2loss-forwardBackward').screenshot({ path: join(outputDir, 'tooltip.png') });
  });

  it("marks the router's choice where it is not the fastest measured, with the ratio", async () => {
    const marked = page.locator('table.router tr.not-fastest');
    expect(await marked.count()).toBe(2);
    const verdicts = await marked.locator('td.not-fastest').allInnerTexts();
    expect(verdicts).toEqual([
      '1.23× slower than tfjs-wasm',
      "3.00× slower than ts (the router's own call; the bench has no cell for its choice)",
    ]);
    expect(await marked.first().locator('td.not-fastest').getAttribute('data-slower-by')).toBe('1.23');
    // the mark is seen: a tinted row, a red verdict
    const colours = await marked
      .first()
      .locator('td.not-fastest')
      .evaluate((td) => [getComputedStyle(td).backgroundColor, getComputedStyle(td).color]);
    expect(colours).toEqual(['rgb(255, 241, 240)', 'rgb(198, 40, 40)']);
    // where ts is the fastest among Node backends (tfjs-webgl, faster, is browser-only), no mark
    const rows = await page.locator('table.router tbody tr').allInnerTexts();
    expect(rows[1]).toContain('fastest measured');
    await page.locator('table.router').screenshot({ path: join(outputDir, 'router-table.png') });
  });

  it('draws a single run’s history on an axis of that run, its points inside the plot', async () => {
    const state = await page.evaluate(() => {
      const g = globalThis as unknown as EChartsGlobal;
      const el = document.getElementById('history-l2loss')!;
      const instance = g.echarts.getInstanceByDom(el)!;
      const option = instance.getOption();
      const axis = option.xAxis![0]!;
      const pixels = option.series.map((s, i) =>
        instance.convertToPixel({ seriesIndex: i }, (s.data![0] as { value: unknown[] }).value),
      );
      return { axis: { type: axis.type, data: axis.data }, pixels, width: el.clientWidth, height: el.clientHeight };
    });
    expect(state.axis).toEqual({ type: 'category', data: ['2026-11-30 06:00 UTC (full)'] });
    for (const [x, y] of state.pixels) {
      // the one category sits mid-plot, not against an edge of a two-day axis
      expect(x).toBeGreaterThan(state.width * 0.3);
      expect(x).toBeLessThan(state.width * 0.7);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(state.height);
    }
    expect(charts.find((c) => c.id === 'history-l2loss')!.series.map((s) => s.name)).toEqual(
      expect.arrayContaining(['ts', 'MXNet', 'JAX']),
    );
    await page.locator('#panel-history-l2loss').screenshot({ path: join(outputDir, 'history-single-run.png') });
  });

  trainingChecks(
    () => charts,
    () => training,
  );

  it('shows the training curves with their tooltips, and the deviation against the tolerance', async () => {
    const text = await tooltipText(page, 'training-softmax-classifier', 1, 50);
    expect(text).toMatch(
      /^step 50 MXNet 1\.9\.1: loss \d\.\d+ gluon-loss \([a-z-]+\): loss \d\.\d+ \|relative deviation\| /,
    );
    const rows = await page.locator('table.training tbody tr').allInnerTexts();
    expect(rows).toHaveLength(training.runs.length);
    for (const r of rows) expect(r).toMatch(/\tyes$/);
    await page.locator('#training').scrollIntoViewIfNeeded();
    await page
      .locator('#panel-training-softmax-classifier')
      .screenshot({ path: join(outputDir, 'training-softmax-classifier.png') });
  });

  it('logs no console error and makes no request', () => {
    expect(log.errors).toEqual([]);
    expect(log.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([
      pathToFileURL(html).href,
    ]);
  });
});
