/**
 * From results files to what the page shows. All the analysis happens here, in Node
 * (where it is tested); the page only draws the chart options it is given. The latest
 * run gives the per-loss charts, the targets and the router's choices; every run gives
 * the history.
 */
import {
  Anchors,
  evaluateTargets,
  geometricMean,
  isTimed,
  rooflineFor,
  type BackendStatus,
  type BenchResults,
  type Cell,
  type LoadedRun,
  type Mode,
  type SkippedFile,
  type TargetResult,
} from '@gluon-loss/bench';
import {
  barChart,
  hasData,
  historyChart,
  timeVsSizeChart,
  type BarSeries,
  type ChartSpec,
  type LineSeries,
} from './charts.js';

export interface RouterRow {
  readonly loss: string;
  readonly size: string;
  readonly mode: Mode;
  readonly choice: string | null;
  readonly routerMs: number | null;
  /** The fastest backend the bench measured for the same cell, and its time. */
  readonly fastest: string | null;
  readonly fastestMs: number | null;
  readonly note: string | null;
}

export interface LossSection {
  readonly loss: string;
  readonly charts: readonly ChartSpec[];
  /** Why a chart is missing (no MXNet, a single size). */
  readonly notes: readonly string[];
}

export interface RunSummary {
  readonly file: string;
  readonly startedAt: string;
  readonly quick: boolean;
  readonly cells: number;
}

export interface DashboardModel {
  readonly generatedAt: string;
  readonly latest: {
    readonly file: string;
    readonly startedAt: string;
    readonly quick: boolean;
    readonly machine: BenchResults['machine'];
    readonly versions: Readonly<Record<string, string>>;
    readonly backends: readonly BackendStatus[];
    readonly mxnet: { readonly status: string; readonly reason?: string; readonly threads?: number | 'default' };
  } | null;
  readonly runs: readonly RunSummary[];
  readonly overview: readonly ChartSpec[];
  readonly targets: readonly TargetResult[];
  readonly router: { readonly status: string; readonly reason?: string; readonly rows: readonly RouterRow[] };
  readonly losses: readonly LossSection[];
  readonly skipped: readonly SkippedFile[];
}

const MODE_LABEL: Readonly<Record<Mode, string>> = { forward: 'forward', forwardBackward: 'forward+backward' };
const SHORT_MODE: Readonly<Record<Mode, string>> = { forward: 'fwd', forwardBackward: 'f+b' };
const slug = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();

function ordered<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** The sizes of a loss in the run, smallest first. */
function sizesOf(cells: readonly Cell[], loss: string): { size: string; elements: number }[] {
  const seen = new Map<string, number>();
  for (const c of cells) if (c.loss === loss) seen.set(c.size, c.elements);
  return [...seen].map(([size, elements]) => ({ size, elements })).sort((a, b) => a.elements - b.elements);
}

function timeSeries(results: BenchResults, loss: string, mode: Mode): LineSeries[] {
  const pick = (cells: readonly Cell[], backend: string) =>
    cells
      .filter((c) => c.loss === loss && c.mode === mode && c.backend === backend && isTimed(c))
      .sort((a, b) => a.elements - b.elements)
      .map((c) => [c.elements, c.medianMs!, c.size] as const);
  const out: LineSeries[] = [];
  for (const backend of ordered(results.cells.map((c) => c.backend))) {
    const points = pick(results.cells, backend);
    if (points.length > 0) out.push({ name: backend, points, kind: 'backend' });
  }
  const mx = pick(results.reference.mxnet.cells, 'mxnet');
  if (mx.length > 0) out.push({ name: 'MXNet', points: mx, kind: 'mxnet' });
  for (const backend of ordered(results.reference.tfjsBuiltin.cells.map((c) => c.backend))) {
    const points = pick(results.reference.tfjsBuiltin.cells, backend);
    if (points.length > 0) out.push({ name: `${backend} built-in`, points, kind: 'builtin' });
  }
  // the roofline of the bytes this loss moves at each size (the same for every backend)
  const roof = new Map<string, readonly [number, number, string]>();
  for (const c of results.cells) {
    if (c.loss !== loss || c.mode !== mode || c.bytes === undefined || roof.has(c.size)) continue;
    const entry = rooflineFor(results.reference.roofline, c.bytes);
    if (entry) roof.set(c.size, [c.elements, entry.medianMs, c.size]);
  }
  if (roof.size > 0)
    out.push({ name: 'roofline', points: [...roof.values()].sort((a, b) => a[0] - b[0]), kind: 'roofline' });
  return out;
}

function ratioBars(results: BenchResults, loss: string): { categories: string[]; series: BarSeries[] } {
  const sizes = sizesOf(results.cells, loss);
  const categories: string[] = [];
  const keys: { size: string; mode: Mode }[] = [];
  for (const { size } of sizes) {
    for (const mode of ['forward', 'forwardBackward'] as const) {
      categories.push(`${size} ${SHORT_MODE[mode]}`);
      keys.push({ size, mode });
    }
  }
  const anchors = Anchors.of(results);
  const series: BarSeries[] = [];
  for (const backend of ordered(results.cells.map((c) => c.backend))) {
    const values = keys.map(({ size, mode }) => {
      const c = results.cells.find(
        (x) => x.loss === loss && x.backend === backend && x.size === size && x.mode === mode,
      );
      return c === undefined ? null : (anchors.ratios(c)?.mxnet ?? null);
    });
    if (values.some((v) => v !== null)) series.push({ name: backend, values });
  }
  return { categories, series };
}

function historySeries(runs: readonly LoadedRun[], loss: string, size: string, mode: Mode): LineSeries[] {
  const byName = new Map<string, [string, number, string][]>();
  const add = (name: string, at: string, ms: number): void => {
    const list = byName.get(name) ?? [];
    list.push([at, ms, size]);
    byName.set(name, list);
  };
  for (const { results } of runs) {
    for (const c of results.cells)
      if (c.loss === loss && c.size === size && c.mode === mode && isTimed(c))
        add(c.backend, results.startedAt, c.medianMs!);
    for (const c of results.reference.mxnet.cells)
      if (c.loss === loss && c.size === size && c.mode === mode && isTimed(c))
        add('MXNet', results.startedAt, c.medianMs!);
  }
  return [...byName].map(([name, points]) => ({ name, points, kind: name === 'MXNet' ? 'mxnet' : 'backend' }));
}

function lossSection(runs: readonly LoadedRun[], results: BenchResults, loss: string): LossSection {
  const charts: ChartSpec[] = [];
  const notes: string[] = [];
  const id = slug(loss);
  for (const mode of ['forward', 'forwardBackward'] as const) {
    const series = timeSeries(results, loss, mode);
    if (hasData(series))
      charts.push(timeVsSizeChart(`time-${id}-${mode}`, `${loss}: time vs size, ${MODE_LABEL[mode]}`, series));
    else notes.push(`No ${MODE_LABEL[mode]} timings for ${loss} in the latest run.`);
  }
  const { categories, series } = ratioBars(results, loss);
  if (hasData(series)) {
    charts.push(
      barChart(
        `ratio-${id}`,
        `${loss}: time / MXNet time`,
        'per backend, size and mode; below the line is faster than MXNet',
        categories,
        series,
        {
          logY: true,
          referenceLine: { value: 1, label: 'MXNet' },
          yName: 'ratio',
        },
      ),
    );
  } else {
    notes.push(
      `No ratio to MXNet for ${loss}: ${results.reference.mxnet.status === 'ok' ? 'no backend and MXNet cell timed together' : `MXNet ${results.reference.mxnet.status}: ${results.reference.mxnet.reason ?? ''}`}.`,
    );
  }
  const largest = sizesOf(results.cells, loss).pop();
  if (largest) {
    const history = historySeries(runs, loss, largest.size, 'forwardBackward');
    if (hasData(history)) {
      charts.push(
        historyChart(
          `history-${id}`,
          `${loss} ${largest.size}: history`,
          'forward+backward median ms in every run',
          'ms',
          history,
          true,
        ),
      );
    }
  }
  return { loss, charts, notes };
}

function overviewCharts(
  runs: readonly LoadedRun[],
  results: BenchResults,
  targets: readonly TargetResult[],
): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const backends = ordered(results.cells.map((c) => c.backend));
  const anchors = Anchors.of(results);
  const meanRatio = (r: BenchResults, a: Anchors, backend: string, mode: Mode): number | null =>
    geometricMean(
      r.cells
        .filter((c) => c.backend === backend && c.mode === mode)
        .map((c) => a.ratios(c)?.mxnet)
        .filter((v): v is number => typeof v === 'number'),
    ) ?? null;

  const withRatio = backends.filter(
    (b) =>
      meanRatio(results, anchors, b, 'forward') !== null || meanRatio(results, anchors, b, 'forwardBackward') !== null,
  );
  const ratioSeries: BarSeries[] = (['forward', 'forwardBackward'] as const).map((mode) => ({
    name: MODE_LABEL[mode],
    values: withRatio.map((b) => meanRatio(results, anchors, b, mode)),
  }));
  if (withRatio.length > 0 && hasData(ratioSeries)) {
    charts.push(
      barChart(
        'overview-ratio',
        'Time / MXNet time per backend (latest run)',
        'geometric mean over the cells both timed; below the line is faster than MXNet',
        withRatio,
        ratioSeries,
        {
          logY: true,
          referenceLine: { value: 1, label: 'MXNet' },
          yName: 'ratio',
        },
      ),
    );
  }

  const firstCall = backends
    .map((b) => {
      const values = results.cells
        .filter((c) => c.backend === b && isTimed(c) && typeof c.firstCallMs === 'number')
        .map((c) => c.firstCallMs!);
      values.sort((x, y) => x - y);
      return { b, median: values.length ? values[Math.floor(values.length / 2)]! : null };
    })
    .filter((x) => x.median !== null);
  if (firstCall.length > 0) {
    charts.push(
      barChart(
        'overview-first-call',
        'First-call cost per backend (latest run)',
        'compile + first call, median over cells, ms; apart from the steady-state medians',
        firstCall.map((x) => x.b),
        [{ name: 'first call', values: firstCall.map((x) => x.median) }],
        { logY: true, yName: 'ms' },
      ),
    );
  }

  // the nightly trend: each backend's geometric-mean ratio to MXNet, run after run
  const trend = new Map<string, [string, number, string][]>();
  for (const { results: r } of runs) {
    const a = Anchors.of(r);
    for (const b of ordered(r.cells.map((c) => c.backend))) {
      const v = meanRatio(r, a, b, 'forwardBackward');
      if (v === null) continue;
      const list = trend.get(b) ?? [];
      list.push([r.startedAt, v, r.quick ? 'quick' : 'full']);
      trend.set(b, list);
    }
  }
  const trendSeries: LineSeries[] = [...trend].map(([name, points]) => ({ name, points, kind: 'backend' }));
  if (hasData(trendSeries)) {
    charts.push(
      historyChart(
        'overview-trend',
        'Trend: time / MXNet time per backend',
        'forward+backward, geometric mean per run (quick and full runs)',
        'ratio',
        trendSeries,
        true,
      ),
    );
  }

  const measured = targets.filter((t) => t.value !== null);
  if (measured.length > 0) {
    // normalised so that 1 is the limit for every kind, and below 1 is met
    const score = (t: TargetResult): number => (t.direction === 'at most' ? t.value! / t.limit : t.limit / t.value!);
    charts.push(
      barChart(
        'overview-targets',
        'Targets: measured / limit (below the line: met)',
        'time ratios over their limit; for the roofline, 0.5 over the fraction reached',
        measured.map((t) => `${t.kind} ${t.loss} ${t.size} ${SHORT_MODE[t.mode]}`),
        [
          {
            name: 'measured / limit',
            values: measured.map(score),
            colours: measured.map((t) => (t.met ? '#2ca02c' : '#d62728')),
          },
        ],
        { logY: true, referenceLine: { value: 1, label: 'limit' }, horizontal: true },
      ),
    );
  }
  return charts;
}

function routerRows(results: BenchResults): RouterRow[] {
  return (results.router?.cells ?? []).map((c) => {
    const fastest = results.cells
      .filter((x) => x.loss === c.loss && x.size === c.size && x.mode === c.mode && isTimed(x))
      .sort((a, b) => a.medianMs! - b.medianMs!)[0];
    return {
      loss: c.loss,
      size: c.size,
      mode: c.mode,
      choice: c.choice ?? null,
      routerMs: isTimed(c) ? c.medianMs! : null,
      fastest: fastest?.backend ?? null,
      fastestMs: fastest?.medianMs ?? null,
      note: c.status === 'ok' ? (c.note ?? null) : `${c.status}: ${c.reason ?? ''}`,
    };
  });
}

export function buildDashboard(
  runs: readonly LoadedRun[],
  skipped: readonly SkippedFile[],
  now = new Date(),
): DashboardModel {
  const last = runs[runs.length - 1];
  if (last === undefined) {
    return {
      generatedAt: now.toISOString(),
      latest: null,
      runs: [],
      overview: [],
      targets: [],
      router: { status: 'unavailable', reason: 'no results', rows: [] },
      losses: [],
      skipped,
    };
  }
  const results = last.results;
  const targets = evaluateTargets(results);
  const losses = ordered(results.cells.map((c) => c.loss));
  return {
    generatedAt: now.toISOString(),
    latest: {
      file: last.file,
      startedAt: results.startedAt,
      quick: results.quick,
      machine: results.machine,
      versions: results.versions,
      backends: results.backends,
      mxnet: {
        status: results.reference.mxnet.status,
        ...(results.reference.mxnet.reason ? { reason: results.reference.mxnet.reason } : {}),
        ...(results.reference.mxnet.threads !== undefined ? { threads: results.reference.mxnet.threads } : {}),
      },
    },
    runs: runs.map((r) => ({
      file: r.file,
      startedAt: r.results.startedAt,
      quick: r.results.quick,
      cells: r.results.cells.length,
    })),
    overview: overviewCharts(runs, results, targets),
    targets,
    router: {
      status: results.router?.status ?? 'unavailable',
      ...(results.router?.reason
        ? { reason: results.router.reason }
        : results.router
          ? {}
          : { reason: 'this run has no router section' }),
      rows: routerRows(results),
    },
    losses: losses.map((loss) => lossSection(runs, results, loss)),
    skipped,
  };
}

/** Every chart of the model, in page order. */
export function allCharts(model: DashboardModel): ChartSpec[] {
  return [...model.overview, ...model.losses.flatMap((l) => l.charts)];
}
