/** The dashboard's model: which charts exist, what each holds, and what the tables say. */
import { describe, expect, it } from 'vitest';
import {
  allCharts,
  buildDashboard,
  renderHtml,
  sig3,
  trainingSection,
  validateTrainingReplay,
  type ChartSpec,
  type TrainingReplayFile,
} from '../src/index.js';
import type { Cell } from '@gluon-loss/bench';
import { fullRun, ok, run } from './fixtures.js';

const chart = (charts: readonly ChartSpec[], id: string): ChartSpec => {
  const found = charts.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no chart ${id} in ${charts.map((c) => c.id).join(', ')}`);
  return found;
};

type Point = { value: [number | string, number]; tip: string };
const seriesOf = (c: ChartSpec) => c.option.series as { name: string; data: (Point | '-')[]; yAxisIndex?: number }[];

/** Numbers written with a unit the page uses for measurements: each must have at most three significant digits. */
const MEASURED = /(-?\d[\d.e+-]*)\s?(ms|ns\/element|×|GB\/s)/g;
const significantDigits = (text: string): number =>
  text
    .replace(/e[+-]?\d+$/, '')
    .replace(/^-/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '').length;
/** The digits shown, trailing zeros included: 0.500 has three. */
const significantDigitsKept = (text: string): number =>
  text
    .replace(/e[+-]?\d+$/, '')
    .replace(/^-/, '')
    .replace('.', '')
    .replace(/^0+/, '').length;

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
    expect(ids).toEqual([
      'time-l2loss-forward',
      'time-l2loss-forwardBackward',
      'per-element-l2loss-forward',
      'per-element-l2loss-forwardBackward',
      'ratio-l2loss',
      'history-l2loss',
    ]);
  });

  it('puts backends, MXNet, the tfjs built-ins and the roofline on the time chart, and leaves out a backend with no timing', () => {
    const series = seriesOf(chart(model.losses[0]!.charts, 'time-l2loss-forward')) as { name: string; data: Point[] }[];
    expect(series.map((s) => s.name)).toEqual(['ts', 'MXNet', 'tfjs-cpu built-in', 'roofline']);
    expect(series[0]!.data.map((d) => d.value)).toEqual([
      [1024, 1024 * 1e-5],
      [65536, 65536 * 1e-5],
    ]);
  });

  it('charts ratios to MXNet from the same run: ts at half of MXNet', () => {
    const ratio = seriesOf(chart(model.losses[0]!.charts, 'ratio-l2loss')) as unknown as {
      name: string;
      data: { value: number; tip: string }[];
    }[];
    expect(ratio.map((s) => s.name)).toEqual(['ts']);
    // ts takes elements × 1e-5 ms and MXNet elements × 2e-5 ms in the latest run
    for (const v of ratio[0]!.data) expect(v.value).toBeCloseTo(0.5, 12);
    expect(ratio[0]!.data[3]!.tip).toBe("<b>ts</b>: 0.500× MXNet's time (0.655 ms vs 1.31 ms)");
  });

  it('draws the history from every run', () => {
    const historyChart = chart(model.losses[0]!.charts, 'history-l2loss');
    expect(historyChart.option.xAxis).toMatchObject({ type: 'time' });
    const history = seriesOf(historyChart) as { name: string; data: Point[] }[];
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
        choiceMs: 1024 * 1e-5,
        fastest: 'ts',
        fastestMs: 1024 * 1e-5,
        slowerBy: null,
        slowerBasis: null,
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
    // ts 3 ms over MXNet 2 ms is 1.5 over a limit of 1: missed (red); over tfjs-cpu 12 ms it is 0.25 over 0.5: met (green).
    // The fastest backend against MXNet on every cell of 64K elements or more: 256x256 (ts at
    // half MXNet's time in the fixture, both modes) and 1M forwardBackward (ts again, 1.5).
    expect(bars.map((b) => [b.value, b.itemStyle.color])).toEqual([
      [1.5, '#d62728'],
      [0.5, '#2ca02c'],
      [0.5, '#2ca02c'],
      [0.5, '#2ca02c'],
      [1.5, '#d62728'],
    ]);
    expect(m.targets.map((t) => [t.kind, t.mode, t.met])).toEqual([
      ['ts-vs-mxnet', 'forwardBackward', false],
      ['ts-vs-tfjs-builtin', 'forwardBackward', true],
      ['fastest-vs-mxnet', 'forward', true],
      ['fastest-vs-mxnet', 'forwardBackward', true],
      ['fastest-vs-mxnet', 'forward', null],
      ['fastest-vs-mxnet', 'forwardBackward', false],
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

describe('a perf engineer reads it at a glance (one full run)', () => {
  const full = fullRun();
  const model = buildDashboard([full], []);
  const charts = allCharts(model);

  it('gives every series a legend entry, in series order, and never draws a paging legend', () => {
    for (const c of charts) {
      expect(
        c.legend.map((e) => e.name),
        c.id,
      ).toEqual(seriesOf(c).map((s) => s.name));
      expect(c.option.legend, c.id).toEqual({ show: false });
    }
    const time = chart(charts, 'time-l2loss-forwardBackward');
    expect(time.legend.map((e) => e.name)).toEqual([
      'ts',
      'tfjs-cpu',
      'tfjs-wasm',
      'onnx-wasm',
      'onnx-node',
      'wasm-simd',
      'wasm-simd-mt',
      'tfjs-webgl',
      'MXNet',
      'JAX',
      'tfjs-cpu built-in',
      'tfjs-wasm built-in',
      'roofline',
    ]);
  });

  it('draws no two series of a line chart alike, and the native anchors as anchors', () => {
    for (const c of charts.filter((x) => !x.legend.some((e) => e.bar))) {
      const looks = c.legend.map((e) => `${e.colour} ${e.dash.join(',')} ${e.symbol}`);
      expect(new Set(looks).size, `${c.id}: ${looks.join(' | ')}`).toBe(looks.length);
    }
    const legend = chart(charts, 'time-l2loss-forward').legend;
    const entry = (name: string) => legend.find((e) => e.name === name)!;
    for (const anchor of ['MXNet', 'JAX', 'roofline']) {
      expect(entry(anchor).anchor, anchor).toBe(true);
      expect(entry(anchor).dash.length, anchor).toBeGreaterThan(0);
    }
    for (const backend of ['ts', 'tfjs-cpu', 'tfjs-wasm']) expect(entry(backend).anchor).toBe(false);
    // a tfjs built-in: its backend's colour, dotted, its backend's marker hollow
    expect(entry('tfjs-wasm built-in')).toMatchObject({ colour: entry('tfjs-wasm').colour, symbol: 'emptyTriangle' });
    expect(entry('tfjs-wasm').symbol).toBe('triangle');
    expect(entry('tfjs-wasm built-in').symbol).not.toBe(entry('tfjs-cpu built-in').symbol);
  });

  it('writes every tooltip with units and at most three significant digits', () => {
    let measured = 0;
    for (const c of charts) {
      for (const s of seriesOf(c)) {
        for (const d of s.data) {
          if (d === '-') continue;
          expect(typeof d.tip, `${c.id} ${s.name}`).toBe('string');
          for (const [, number] of d.tip.matchAll(MEASURED)) {
            measured++;
            expect(significantDigits(number!), `${c.id} ${s.name}: ${d.tip}`).toBeLessThanOrEqual(3);
            if (number!.includes('.')) expect(significantDigitsKept(number!), `${c.id}: ${d.tip}`).toBe(3);
          }
        }
      }
    }
    expect(measured).toBeGreaterThan(100);
    const ts = seriesOf(chart(charts, 'time-l2loss-forwardBackward')).find((s) => s.name === 'ts')!;
    // 2 ns per element at 64K elements: 0.131072 ms
    expect((ts.data[1] as Point).tip).toBe(
      '<b>ts</b><br>L2Loss 256x256 (65,536 elements), forward+backward<br>median 0.131 ms · 2.00 ns/element',
    );
    expect(sig3(1234.5)).toBe('1230');
    expect(sig3(0.000123456)).toBe('1.23e-4');
    expect(sig3(2.0004)).toBe('2.00');
    expect(sig3(0.5)).toBe('0.500');
  });

  it('reports ratios to JAX beside those to MXNet, per loss and overall', () => {
    // ts takes 1.25 times JAX's time in every cell of the full run, and half of MXNet's
    const jax = seriesOf(chart(charts, 'ratio-jax-l2loss')) as unknown as { name: string; data: { value: number }[] }[];
    const mx = seriesOf(chart(charts, 'ratio-l2loss')) as unknown as { name: string; data: { value: number }[] }[];
    for (const d of jax.find((s) => s.name === 'ts')!.data) expect(d.value).toBeCloseTo(1.25, 12);
    for (const d of mx.find((s) => s.name === 'ts')!.data) expect(d.value).toBeCloseTo(0.5, 12);
    const overall = seriesOf(chart(charts, 'overview-ratio-jax')) as unknown as { data: { tip: string }[] }[];
    expect(overall[1]!.data[0]!.tip).toBe("<b>ts</b>, forward+backward: 1.25× JAX's time (geometric mean of 3 cells)");
  });

  it('plots time per element against size, log-log, so the step at 1M shows', () => {
    const c = chart(charts, 'per-element-l2loss-forward');
    expect(c.option.xAxis).toMatchObject({ type: 'log' });
    expect(c.option.yAxis).toMatchObject({ type: 'log', name: 'ns/element' });
    const ts = seriesOf(c).find((s) => s.name === 'ts')!;
    expect(ts.data.map((d) => (d as Point).value)).toEqual([
      [1024, expect.closeTo(20, 9)],
      [65536, expect.closeTo(2, 9)],
      [1048576, expect.closeTo(6, 9)],
    ]);
    // the roofline: 1e-7 ms per element copied, 8 bytes per element: 0.1 ns per element
    const roof = seriesOf(c).find((s) => s.name === 'roofline')!;
    for (const d of roof.data) expect((d as Point).value[1]).toBeCloseTo(0.1, 9);
  });

  it('shows cost growth across losses: the fastest backend per size, in ns per element', () => {
    const c = chart(charts, 'overview-per-element');
    expect(seriesOf(c).map((s) => s.name)).toEqual(['L2Loss', 'HuberLoss']);
    // tfjs-webgl, at half of ts's time, is the fastest L2Loss cell: 10, 1 and 3 ns per element
    const l2 = seriesOf(c)[0]!.data as Point[];
    expect(l2.map((d) => [d.value[0], Number(d.value[1].toPrecision(12))])).toEqual([
      [1024, 10],
      [65536, 1],
      [1048576, 3],
    ]);
    expect(l2[2]!.tip).toContain('fastest: tfjs-webgl, 3.15 ms · 3.00 ns/element');
    expect(c.legend[0]!.colour).not.toBe(c.legend[1]!.colour);
  });

  it('draws a loss timed at one size only on a category axis of that size', () => {
    const c = chart(charts, 'time-huberloss-forwardBackward');
    expect(c.option.xAxis).toMatchObject({ type: 'category', data: ['65,536 elements'] });
    for (const s of seriesOf(c)) expect(s.data.map((d) => (d as Point).value[0])).toEqual(['65,536 elements']);
    expect(chart(charts, 'time-l2loss-forwardBackward').option.xAxis).toMatchObject({ type: 'log' });
  });

  it('draws a one-run history on a category axis holding that run, not a time axis of empty days', () => {
    const history = chart(charts, 'history-l2loss');
    expect(history.option.xAxis).toMatchObject({ type: 'category', data: ['2026-11-30 06:00 UTC (full)'] });
    for (const s of seriesOf(history)) {
      expect(s.data.map((d) => (d as Point).value[0])).toEqual(['2026-11-30 06:00 UTC (full)']);
    }
    expect(seriesOf(history).map((s) => s.name)).toEqual(expect.arrayContaining(['ts', 'MXNet', 'JAX']));
    const trend = chart(charts, 'overview-trend');
    expect(trend.option.xAxis).toMatchObject({ type: 'category' });
  });

  it('draws a history on a category axis wherever only one run has data for it, even among several runs', () => {
    const both = allCharts(buildDashboard([run('2026-11-29T00:00:00.000Z', 1), full], []));
    // L2Loss 1024x1024 and HuberLoss are only in the full run; the trend has both runs
    expect(chart(both, 'history-l2loss').option.xAxis).toMatchObject({
      type: 'category',
      data: ['2026-11-30 06:00 UTC (full)'],
    });
    expect(chart(both, 'history-huberloss').option.xAxis).toMatchObject({ type: 'category' });
    expect(chart(both, 'overview-trend').option.xAxis).toMatchObject({ type: 'time' });
  });

  it('marks every router cell whose choice is not the fastest measured where the router runs, and by how much', () => {
    const rows = model.router.rows;
    expect(rows.map((r) => [r.mode, r.choice, r.fastest, r.slowerBy, r.slowerBasis])).toEqual([
      // ts 2.46 ms beside tfjs-wasm's 2.00 ms (tfjs-webgl, faster, runs only in a browser)
      ['forwardBackward', 'ts', 'tfjs-wasm', expect.closeTo(1.23, 12), 'choice'],
      ['forward', 'ts', 'ts', null, null],
      // no cell for onnx-webgpu: the router's own call, 3 times ts's
      ['forward', 'onnx-webgpu', 'ts', expect.closeTo(3, 12), 'router'],
    ]);
    const html = renderHtml(model);
    expect(html).toContain('1.23× slower than tfjs-wasm</td>');
    expect(html).toContain("3.00× slower than ts (the router's own call; the bench has no cell for its choice)</td>");
    expect(html.match(/<tr class="not-fastest">/g)).toHaveLength(2);
    expect(html).toContain('2 of 3 cells chose a slower one, marked.');
  });

  it('renders a chart panel with its HTML legend for every chart', () => {
    const html = renderHtml(model);
    for (const c of charts) {
      const legend = html.match(new RegExp(`<div class="legend" data-chart="${c.id}">(.*?)</div></figure>`))?.[1];
      expect(legend, c.id).toBeDefined();
      expect(legend!.match(/class="legend-item/g), c.id).toHaveLength(c.legend.length);
    }
  });
});

describe('the training panel', () => {
  const file: TrainingReplayFile = {
    format: 'gluon-loss-training-replay',
    formatVersion: 1,
    generatedAt: '2026-11-30T06:00:00.000Z',
    method: 'a hand-made file',
    tolerance: 1e-4,
    runs: [
      {
        name: 'tiny',
        description: 'three steps',
        loss: 'L2Loss',
        steps: 2,
        learningRate: 0.1,
        backend: 'ts',
        mxnet: [2, 1, 0.5],
        gluonLoss: [2, 1.00005, 0.5002],
        replayMs: 1,
      },
    ],
  };

  it("draws MXNet's curve and gluon-loss's, and their relative deviation against the tolerance", () => {
    const section = trainingSection(validateTrainingReplay(JSON.parse(JSON.stringify(file))));
    expect(section.status).toBe('ok');
    expect(section.rows).toEqual([
      expect.objectContaining({ name: 'tiny', maxDeviation: expect.closeTo(4e-4, 12), withinTolerance: false }),
    ]);
    const c = section.charts[0]!;
    expect(c.id).toBe('training-tiny');
    const series = seriesOf(c);
    expect(series.map((s) => [s.name, s.data.length, s.yAxisIndex])).toEqual([
      ['MXNet 1.9.1', 3, undefined],
      ['gluon-loss (router: ts)', 3, undefined],
      // step 0 agrees exactly: a log axis cannot show 0, its tooltip says "equal"
      ['|relative deviation|', 2, 1],
      ['tolerance 1.00e-4', 2, 1],
    ]);
    expect(series[1]!.data.map((d) => (d as Point).value)).toEqual([
      [0, 2],
      [1, 1.00005],
      [2, 0.5002],
    ]);
    expect((series[0]!.data[0] as Point).tip).toContain('|relative deviation| 0 (equal)');
    expect(c.legend.find((e) => e.name === 'MXNet 1.9.1')!.anchor).toBe(true);
  });

  it('says why when the file is missing or malformed, and checks every curve has steps + 1 values', () => {
    expect(trainingSection(null).status).toBe('none');
    const short = { ...file, runs: [{ ...file.runs[0]!, gluonLoss: [2, 1] }] };
    expect(() => validateTrainingReplay(short)).toThrow('$.runs[0].gluonLoss: expected 3 finite numbers');
    expect(() => validateTrainingReplay({ format: 'x' })).toThrow('$.format');
    const model = buildDashboard([run('2026-11-28T00:00:00.000Z', 1)], [], new Date(), trainingSection(null, 'f: bad'));
    expect(renderHtml(model)).toContain('Training-replay file not drawn: f: bad');
  });
});
