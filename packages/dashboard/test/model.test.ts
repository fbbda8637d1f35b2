/** The dashboard's model: which charts exist, what each holds, and what the tables say. */
import {
  FORMAT_VERSION,
  RESULTS_FORMAT,
  type BenchResults,
  type Cell,
  type LoadedRun,
  type Mode,
} from '@gluon-loss/bench';
import { describe, expect, it } from 'vitest';
import { allCharts, buildDashboard, renderHtml } from '../src/index.js';

const ok = (
  backend: string,
  loss: string,
  size: string,
  elements: number,
  mode: Mode,
  medianMs: number,
  extra: Partial<Cell> = {},
): Cell => ({
  loss,
  size,
  elements,
  backend,
  mode,
  status: 'ok',
  medianMs,
  minMs: medianMs,
  maxMs: medianMs,
  firstCallMs: 10 * medianMs,
  bytes: elements * 8,
  ...extra,
});

function run(startedAt: string, scale: number): LoadedRun {
  const cells: Cell[] = [];
  const mxnet: Cell[] = [];
  for (const [size, elements] of [
    ['32x32', 1024],
    ['256x256', 65536],
  ] as const) {
    for (const mode of ['forward', 'forwardBackward'] as const) {
      cells.push(ok('ts', 'L2Loss', size, elements, mode, scale * elements * 1e-5));
      cells.push({
        loss: 'L2Loss',
        size,
        elements,
        backend: 'tfjs-webgl',
        mode,
        status: 'unavailable',
        reason: 'runs only in browser',
      });
      mxnet.push(ok('mxnet', 'L2Loss', size, elements, mode, elements * 2e-5));
    }
  }
  const results: BenchResults = {
    format: RESULTS_FORMAT,
    formatVersion: FORMAT_VERSION,
    startedAt,
    finishedAt: startedAt,
    quick: true,
    filter: [],
    settings: { timeMs: 1, minIterations: 1, warmupIterations: 0 },
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, os: 'os', node: '20', v8: '11', browser: null },
    versions: { mxnet: '1.9.1' },
    backends: [
      { name: 'ts', environments: ['node'], available: true },
      { name: 'tfjs-webgl', environments: ['browser'], available: false, reason: 'runs only in browser' },
    ],
    cells,
    reference: {
      mxnet: { status: 'ok', threads: 'default', cells: mxnet },
      tfjsBuiltin: {
        cells: [ok('tfjs-cpu', 'L2Loss', '32x32', 1024, 'forward', 0.5, { builtin: 'tf.losses.meanSquaredError' })],
      },
      roofline: [1024, 65536].map((e) => ({
        elements: e,
        bytes: e * 8,
        medianMs: e * 1e-7,
        minMs: 0,
        maxMs: 0,
        gbPerS: 80,
      })),
    },
    router: { status: 'ok', cells: [ok('router', 'L2Loss', '32x32', 1024, 'forward', 0.02, { choice: 'ts' })] },
  };
  return { file: `${startedAt}.json`, results };
}

describe('buildDashboard', () => {
  const runs = [run('2026-11-27T00:00:00.000Z', 2), run('2026-11-28T00:00:00.000Z', 1)];
  const model = buildDashboard(runs, [{ file: 'bad.json', reason: 'not valid JSON' }]);

  it('describes the latest run and lists every run', () => {
    expect(model.latest!.startedAt).toBe('2026-11-28T00:00:00.000Z');
    expect(model.runs.map((r) => r.startedAt)).toEqual(runs.map((r) => r.results.startedAt));
    expect(model.skipped).toEqual([{ file: 'bad.json', reason: 'not valid JSON' }]);
  });

  it('draws time vs size per mode, the ratio to MXNet and the history for each loss', () => {
    const ids = model.losses[0]!.charts.map((c) => c.id);
    expect(ids).toEqual(['time-l2loss-forward', 'time-l2loss-forwardBackward', 'ratio-l2loss', 'history-l2loss']);
  });

  it('puts backends, MXNet, the tfjs built-ins and the roofline on the time chart, and leaves out a backend with no timing', () => {
    const series = model.losses[0]!.charts[0]!.option.series as { name: string; data: { value: [number, number] }[] }[];
    expect(series.map((s) => s.name)).toEqual(['ts', 'MXNet', 'tfjs-cpu built-in', 'roofline']);
    expect(series[0]!.data.map((d) => d.value)).toEqual([
      [1024, 1024 * 1e-5],
      [65536, 65536 * 1e-5],
    ]);
  });

  it('charts ratios to MXNet from the same run: ts at half of MXNet', () => {
    const ratio = model.losses[0]!.charts[2]!.option.series as { name: string; data: number[] }[];
    expect(ratio.map((s) => s.name)).toEqual(['ts']);
    // ts takes elements × 1e-5 ms and MXNet elements × 2e-5 ms in the latest run
    for (const v of ratio[0]!.data) expect(v).toBeCloseTo(0.5, 12);
  });

  it('draws the history from every run', () => {
    const history = model.losses[0]!.charts[3]!.option.series as {
      name: string;
      data: { value: [string, number] }[];
    }[];
    const ts = history.find((s) => s.name === 'ts')!;
    expect(ts.data.map((d) => d.value)).toEqual([
      ['2026-11-27T00:00:00.000Z', 2 * 65536 * 1e-5],
      ['2026-11-28T00:00:00.000Z', 65536 * 1e-5],
    ]);
    const trend = model.overview.find((c) => c.id === 'overview-trend')!.option.series as {
      data: { value: [string, number] }[];
    }[];
    expect(trend[0]!.data.map((d) => d.value[1])).toEqual([expect.closeTo(1, 12), expect.closeTo(0.5, 12)]);
  });

  it("lists the router's choice beside the fastest backend measured", () => {
    expect(model.router.rows).toEqual([
      {
        loss: 'L2Loss',
        size: '32x32',
        mode: 'forward',
        choice: 'ts',
        routerMs: 0.02,
        fastest: 'ts',
        fastestMs: 1024 * 1e-5,
        note: null,
      },
    ]);
  });

  it('gives every chart series at least one point', () => {
    for (const chart of allCharts(model)) {
      const series = chart.option.series as { data: unknown[] }[];
      expect(series.length, chart.id).toBeGreaterThan(0);
      for (const s of series)
        expect(
          s.data.some((d) => d !== '-'),
          chart.id,
        ).toBe(true);
    }
  });

  it('renders a page with a placeholder per chart and the skipped files named', () => {
    const html = renderHtml(model);
    for (const chart of allCharts(model)) expect(html).toContain(`id="${chart.id}"`);
    expect(html).toContain('Skipped <code>bad.json</code>: not valid JSON');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it('charts the targets a run reaches, measured over their limit, coloured by the verdict', () => {
    const target = run('2026-11-29T00:00:00.000Z', 1);
    const big = (backend: string, ms: number): Cell =>
      ok(backend, 'L2Loss', '1024x1024', 1048576, 'forwardBackward', ms);
    const results = {
      ...target.results,
      cells: [...target.results.cells, big('ts', 3)],
      reference: {
        ...target.results.reference,
        mxnet: { ...target.results.reference.mxnet, cells: [...target.results.reference.mxnet.cells, big('mxnet', 2)] },
        tfjsBuiltin: { cells: [big('tfjs-cpu', 12)] },
      },
    };
    const m = buildDashboard([{ file: target.file, results }], []);
    const chart = m.overview.find((c) => c.id === 'overview-targets')!;
    const bars = (chart.option.series as { data: { value: number; itemStyle: { color: string } }[] }[])[0]!.data;
    // ts 3 ms over MXNet 2 ms is 1.5 over a limit of 1: missed (red); over tfjs-cpu 12 ms it is 0.25 over 0.5: met (green)
    expect(bars.map((b) => [b.value, b.itemStyle.color])).toEqual([
      [1.5, '#d62728'],
      [0.5, '#2ca02c'],
    ]);
    expect(m.targets.map((t) => [t.kind, t.mode, t.met])).toEqual([
      ['ts-vs-mxnet', 'forwardBackward', false],
      ['ts-vs-tfjs-builtin', 'forwardBackward', true],
      // no forward cell at 1M, and no roofline entry for these bytes: not measured
      ['roofline', 'forward', null],
      ['roofline', 'forwardBackward', null],
    ]);
    expect(renderHtml(m)).toContain('1.50× over the limit: 33% less time needed');
  });

  it('renders an empty folder as a page that says so', () => {
    const empty = buildDashboard([], []);
    expect(allCharts(empty)).toEqual([]);
    expect(renderHtml(empty)).toContain('No bench results found');
  });
});
