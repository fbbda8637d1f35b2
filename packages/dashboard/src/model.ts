/**
 * From results files to what the page shows. All the analysis happens here, in Node
 * (where it is tested); the page only draws the chart options it is given. The latest
 * run gives the per-loss charts, the targets and the router's choices; every run gives
 * the history.
 */
import {
  Anchors,
  cellKey,
  evaluateTargets,
  fastestCell,
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
  trainingChart,
  type BarSeries,
  type ChartSpec,
  type LineSeries,
  type SeriesKind,
} from './charts.js';
import { escapeHtml, formatCount, formatMs, formatNsPerElement, formatRatio, nsPerElement, sig3 } from './text.js';
import type { TrainingReplayFile } from './training-file.js';

export interface RouterRow {
  readonly loss: string;
  readonly size: string;
  readonly mode: Mode;
  readonly choice: string | null;
  readonly routerMs: number | null;
  /** The bench's own time for the chosen backend in the same cell (null when it has none). */
  readonly choiceMs: number | null;
  /** The fastest backend the bench measured for the same cell where the router runs (Node), and its time. */
  readonly fastest: string | null;
  readonly fastestMs: number | null;
  /**
   * Where the choice is not the fastest measured: its time over the fastest's (above 1),
   * from the choice's own cell, or from the router's call when the choice has none
   * (`slowerBasis`). Null where the choice is the fastest, ties with it, or nothing compares.
   */
  readonly slowerBy: number | null;
  readonly slowerBasis: 'choice' | 'router' | null;
  readonly note: string | null;
}

/** One training golden: MXNet's curve and gluon-loss's, from the training-replay file. */
export interface TrainingRow {
  readonly name: string;
  readonly loss: string;
  readonly description: string;
  readonly steps: number;
  readonly backend: string;
  readonly maxDeviation: number;
  readonly withinTolerance: boolean;
}

export interface TrainingSection {
  /** `none`: no --training file was given. */
  readonly status: 'ok' | 'none' | 'invalid';
  readonly reason?: string;
  readonly method?: string;
  readonly tolerance?: number;
  readonly rows: readonly TrainingRow[];
  readonly charts: readonly ChartSpec[];
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
  readonly training: TrainingSection;
  readonly skipped: readonly SkippedFile[];
}

const MODE_LABEL: Readonly<Record<Mode, string>> = { forward: 'forward', forwardBackward: 'forward+backward' };
const SHORT_MODE: Readonly<Record<Mode, string>> = { forward: 'fwd', forwardBackward: 'f+b' };
const slug = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();

/** The router is timed in Node: only backends that run there are what it could have chosen. */
const ROUTER_ENVIRONMENT = 'node';

function ordered<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

type Timed = Cell & { readonly medianMs: number };
const timed = (c: Cell): c is Timed => isTimed(c) && typeof c.elements === 'number' && c.elements > 0;

/**
 * The native anchors of a run: MXNet always (its section may be unavailable), JAX/XLA when
 * the run has a `reference.jax` section (same shape as MXNet's; runs from before the JAX
 * anchor have none).
 */
function nativeAnchors(results: BenchResults): { name: string; kind: SeriesKind; cells: readonly Cell[] }[] {
  const out: { name: string; kind: SeriesKind; cells: readonly Cell[] }[] = [
    { name: 'MXNet', kind: 'mxnet', cells: results.reference.mxnet.cells },
  ];
  const jax = results.reference.jax;
  if (jax !== undefined) out.push({ name: 'JAX', kind: 'jax', cells: jax.cells });
  return out;
}

/** The sizes of a loss in the run, smallest first. */
function sizesOf(cells: readonly Cell[], loss: string): { size: string; elements: number }[] {
  const seen = new Map<string, number>();
  for (const c of cells) if (c.loss === loss) seen.set(c.size, c.elements);
  return [...seen].map(([size, elements]) => ({ size, elements })).sort((a, b) => a.elements - b.elements);
}

const where = (c: Cell): string =>
  `${escapeHtml(c.loss)} ${escapeHtml(c.size)} (${formatCount(c.elements)} elements), ${MODE_LABEL[c.mode]}`;

/** A timed cell's tooltip: what it is, its median, and its time per element. */
function cellTip(series: string, c: Timed, extra = ''): string {
  return (
    `<b>${escapeHtml(series)}</b>${extra}<br>${where(c)}<br>` +
    `median ${formatMs(c.medianMs)} · ${formatNsPerElement(nsPerElement(c.medianMs, c.elements))}`
  );
}

/** What a time-vs-size chart plots: milliseconds, or nanoseconds per element. */
type Measure = 'ms' | 'ns/element';
const measureOf = (m: Measure, ms: number, elements: number): number => (m === 'ms' ? ms : nsPerElement(ms, elements));

function sizeSeries(results: BenchResults, loss: string, mode: Mode, measure: Measure): LineSeries[] {
  // backend undefined: every cell of the list (an anchor's)
  const pick = (cells: readonly Cell[], series: string, backend?: string) =>
    cells
      .filter(
        (c): c is Timed =>
          c.loss === loss && c.mode === mode && (backend === undefined || c.backend === backend) && timed(c),
      )
      .sort((a, b) => a.elements - b.elements)
      .map(
        (c) =>
          [
            c.elements,
            measureOf(measure, c.medianMs, c.elements),
            cellTip(series, c, c.builtin ? ` (<code>${escapeHtml(c.builtin)}</code>)` : ''),
          ] as const,
      );
  const out: LineSeries[] = [];
  for (const backend of ordered(results.cells.map((c) => c.backend))) {
    const points = pick(results.cells, backend, backend);
    if (points.length > 0) out.push({ name: backend, points, kind: 'backend' });
  }
  for (const anchor of nativeAnchors(results)) {
    const points = pick(anchor.cells, anchor.name);
    if (points.length > 0) out.push({ name: anchor.name, points, kind: anchor.kind });
  }
  for (const backend of ordered(results.reference.tfjsBuiltin.cells.map((c) => c.backend))) {
    const name = `${backend} built-in`;
    const points = pick(results.reference.tfjsBuiltin.cells, name, backend);
    if (points.length > 0) out.push({ name, points, kind: 'builtin' });
  }
  // the roofline of the bytes this loss moves at each size (the same for every backend)
  const roof = new Map<string, readonly [number, number, string]>();
  for (const c of results.cells) {
    if (c.loss !== loss || c.mode !== mode || c.bytes === undefined || roof.has(c.size)) continue;
    const entry = rooflineFor(results.reference.roofline, c.bytes);
    if (entry) {
      const tip =
        `<b>roofline</b><br>${where(c)}<br>copying its ${formatCount(c.bytes)} bytes: ${formatMs(entry.medianMs)}` +
        ` · ${formatNsPerElement(nsPerElement(entry.medianMs, c.elements))} · ${sig3(entry.gbPerS)} GB/s`;
      roof.set(c.size, [c.elements, measureOf(measure, entry.medianMs, c.elements), tip]);
    }
  }
  if (roof.size > 0)
    out.push({ name: 'roofline', points: [...roof.values()].sort((a, b) => a[0] - b[0]), kind: 'roofline' });
  return out;
}

/** A native anchor's timed cell for a loss, size and mode. */
type AnchorLookup = (at: { loss: string; size: string; mode: Mode }) => Timed | undefined;

function anchorLookup(cells: readonly Cell[]): AnchorLookup {
  const byKey = new Map<string, Timed>();
  for (const c of cells) if (timed(c)) byKey.set(cellKey(c), c);
  return (at) => byKey.get(cellKey(at));
}

/** Each backend's time over an anchor's (MXNet's or JAX's), per size and mode. */
function ratioBars(
  results: BenchResults,
  loss: string,
  anchorName: string,
  anchor: AnchorLookup,
): { categories: string[]; series: BarSeries[] } {
  const sizes = sizesOf(results.cells, loss);
  const categories: string[] = [];
  const keys: { size: string; mode: Mode }[] = [];
  for (const { size } of sizes) {
    for (const mode of ['forward', 'forwardBackward'] as const) {
      categories.push(`${size} ${SHORT_MODE[mode]}`);
      keys.push({ size, mode });
    }
  }
  const series: BarSeries[] = [];
  for (const backend of ordered(results.cells.map((c) => c.backend))) {
    const bars = keys.map(({ size, mode }) => {
      const c = results.cells.find(
        (x) => x.loss === loss && x.backend === backend && x.size === size && x.mode === mode,
      );
      const a = c === undefined ? undefined : anchor(c);
      if (c === undefined || a === undefined || !timed(c)) return { ratio: null, tip: null };
      const ratio = c.medianMs / a.medianMs;
      const tip = `<b>${escapeHtml(backend)}</b>: ${formatRatio(ratio)} ${anchorName}'s time (${formatMs(c.medianMs)} vs ${formatMs(a.medianMs)})`;
      return { ratio, tip };
    });
    if (bars.some((b) => b.ratio !== null))
      series.push({ name: backend, values: bars.map((b) => b.ratio), tips: bars.map((b) => b.tip) });
  }
  return { categories, series };
}

const runLabel = (r: BenchResults): string =>
  `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC (${r.quick ? 'quick' : 'full'})`;

/**
 * The x of a run in a history chart: its start time, or its label when the chart has a
 * single run with data (`single`), drawn on a category axis.
 */
const runX = (single: boolean, r: BenchResults): string => (single ? runLabel(r) : r.startedAt);

/** A history chart's lines, and the label of its only run when just one run has data for it. */
interface History {
  readonly series: LineSeries[];
  readonly singleRun: string | null;
}

function historySeries(runs: readonly LoadedRun[], loss: string, size: string, mode: Mode): History {
  const at = (c: Cell): c is Timed => c.loss === loss && c.size === size && c.mode === mode && timed(c);
  const withData = runs.filter(
    ({ results }) => results.cells.some(at) || nativeAnchors(results).some((a) => a.cells.some(at)),
  );
  const single = withData.length === 1;
  const byName = new Map<string, { kind: SeriesKind; points: [string, number, string][] }>();
  const add = (name: string, kind: SeriesKind, r: BenchResults, c: Timed): void => {
    const entry = byName.get(name) ?? { kind, points: [] };
    entry.points.push([
      runX(single, r),
      c.medianMs,
      `<b>${escapeHtml(name)}</b><br>run ${runLabel(r)}<br>${where(c)}: ${formatMs(c.medianMs)}`,
    ]);
    byName.set(name, entry);
  };
  for (const { results } of withData) {
    for (const c of results.cells) if (at(c)) add(c.backend, 'backend', results, c);
    for (const anchor of nativeAnchors(results))
      for (const c of anchor.cells) if (at(c)) add(anchor.name, anchor.kind, results, c);
  }
  return {
    series: [...byName].map(([name, { kind, points }]) => ({ name, points, kind })),
    singleRun: single ? runLabel(withData[0]!.results) : null,
  };
}

function lossSection(runs: readonly LoadedRun[], results: BenchResults, loss: string): LossSection {
  const charts: ChartSpec[] = [];
  const notes: string[] = [];
  const id = slug(loss);
  const anchorNote = 'dashed: MXNet, JAX and the roofline; dotted, hollow markers: tfjs built-ins';
  for (const mode of ['forward', 'forwardBackward'] as const) {
    const series = sizeSeries(results, loss, mode, 'ms');
    if (hasData(series))
      charts.push(
        timeVsSizeChart(
          `time-${id}-${mode}`,
          `${loss}: time vs size, ${MODE_LABEL[mode]}`,
          `median ms, log-log; ${anchorNote}`,
          'ms',
          series,
        ),
      );
    else notes.push(`No ${MODE_LABEL[mode]} timings for ${loss} in the latest run.`);
  }
  for (const mode of ['forward', 'forwardBackward'] as const) {
    const series = sizeSeries(results, loss, mode, 'ns/element');
    if (hasData(series))
      charts.push(
        timeVsSizeChart(
          `per-element-${id}-${mode}`,
          `${loss}: time per element, ${MODE_LABEL[mode]}`,
          'median ns per element of the main input, log-log: flat is linear cost, a step is a cliff',
          'ns/element',
          series,
        ),
      );
  }
  for (const anchor of nativeAnchors(results)) {
    const { categories, series } = ratioBars(results, loss, anchor.name, anchorLookup(anchor.cells));
    if (hasData(series)) {
      charts.push(
        barChart(
          anchor.kind === 'mxnet' ? `ratio-${id}` : `ratio-${anchor.kind}-${id}`,
          `${loss}: time / ${anchor.name} time`,
          `per backend, size and mode; below the line is faster than ${anchor.name}`,
          categories,
          series,
          {
            logY: true,
            referenceLine: { value: 1, label: anchor.name },
            yName: 'ratio',
          },
        ),
      );
    } else if (anchor.kind === 'mxnet') {
      notes.push(
        `No ratio to MXNet for ${loss}: ${results.reference.mxnet.status === 'ok' ? 'no backend and MXNet cell timed together' : `MXNet ${results.reference.mxnet.status}: ${results.reference.mxnet.reason ?? ''}`}.`,
      );
    }
  }
  const largest = sizesOf(results.cells, loss).pop();
  if (largest) {
    const history = historySeries(runs, loss, largest.size, 'forwardBackward');
    if (hasData(history.series)) {
      charts.push(
        historyChart(
          `history-${id}`,
          `${loss} ${largest.size}: history`,
          'forward+backward median ms in every run',
          'ms',
          history.series,
          true,
          history.singleRun,
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
  const ratiosOf = (r: BenchResults, a: Anchors, backend: string, mode: Mode): number[] =>
    r.cells
      .filter((c) => c.backend === backend && c.mode === mode)
      .map((c) => a.ratios(c)?.mxnet)
      .filter((v): v is number => typeof v === 'number');
  const meanRatio = (r: BenchResults, a: Anchors, backend: string, mode: Mode): number | null =>
    geometricMean(ratiosOf(r, a, backend, mode)) ?? null;

  // per native anchor of the latest run: each backend's geometric-mean time over the anchor's
  for (const anchor of nativeAnchors(results)) {
    const lookup = anchorLookup(anchor.cells);
    const ratios = (backend: string, mode: Mode): number[] =>
      results.cells.flatMap((c) => {
        const a = c.backend === backend && c.mode === mode && timed(c) ? lookup(c) : undefined;
        return a === undefined ? [] : [c.medianMs! / a.medianMs];
      });
    const mean = (backend: string, mode: Mode): number | null => geometricMean(ratios(backend, mode)) ?? null;
    const withRatio = backends.filter((b) => mean(b, 'forward') !== null || mean(b, 'forwardBackward') !== null);
    const ratioSeries: BarSeries[] = (['forward', 'forwardBackward'] as const).map((mode) => {
      const values = withRatio.map((b) => mean(b, mode));
      return {
        name: MODE_LABEL[mode],
        values,
        tips: withRatio.map((b, i) =>
          values[i] === null
            ? null
            : `<b>${escapeHtml(b)}</b>, ${MODE_LABEL[mode]}: ${formatRatio(values[i]!)} ${anchor.name}'s time (geometric mean of ${ratios(b, mode).length} cells)`,
        ),
      };
    });
    if (withRatio.length > 0 && hasData(ratioSeries)) {
      charts.push(
        barChart(
          anchor.kind === 'mxnet' ? 'overview-ratio' : `overview-ratio-${anchor.kind}`,
          `Time / ${anchor.name} time per backend (latest run)`,
          `geometric mean over the cells both timed; below the line is faster than ${anchor.name}`,
          withRatio,
          ratioSeries,
          {
            logY: true,
            referenceLine: { value: 1, label: anchor.name },
            yName: 'ratio',
          },
        ),
      );
    }
  }

  // cost growth across losses: the fastest backend's time per element at each size
  const growth: LineSeries[] = [];
  for (const loss of ordered(results.cells.map((c) => c.loss))) {
    const points = sizesOf(results.cells, loss).flatMap(({ size }) => {
      const best = fastestCell(results.cells, { loss, size, mode: 'forwardBackward' });
      if (best === undefined || !(best.elements > 0)) return [];
      const ns = nsPerElement(best.medianMs, best.elements);
      return [
        [
          best.elements,
          ns,
          `<b>${escapeHtml(loss)}</b><br>${where(best)}<br>fastest: ${escapeHtml(best.backend)}, ${formatMs(best.medianMs)} · ${formatNsPerElement(ns)}`,
        ] as const,
      ];
    });
    if (points.length > 0) growth.push({ name: loss, points, kind: 'loss' });
  }
  if (hasData(growth)) {
    charts.push(
      timeVsSizeChart(
        'overview-per-element',
        'Time per element vs size, per loss (latest run)',
        'forward+backward, the fastest backend at each size, ns per element of the main input, log-log: a rise is a cost that grows faster than the input',
        'ns/element',
        growth,
      ),
    );
  }

  const firstCall = backends
    .map((b) => {
      const values = results.cells
        .filter((c) => c.backend === b && isTimed(c) && typeof c.firstCallMs === 'number')
        .map((c) => c.firstCallMs!);
      values.sort((x, y) => x - y);
      return { b, median: values.length ? values[Math.floor(values.length / 2)]! : null, cells: values.length };
    })
    .filter((x) => x.median !== null);
  if (firstCall.length > 0) {
    charts.push(
      barChart(
        'overview-first-call',
        'First-call cost per backend (latest run)',
        'compile + first call, median over cells, ms; apart from the steady-state medians',
        firstCall.map((x) => x.b),
        [
          {
            name: 'first call',
            values: firstCall.map((x) => x.median),
            tips: firstCall.map(
              (x) => `<b>${escapeHtml(x.b)}</b>: first call ${formatMs(x.median!)} (median of ${x.cells} cells)`,
            ),
          },
        ],
        { logY: true, yName: 'ms' },
      ),
    );
  }

  // the nightly trend: each backend's geometric-mean ratio to MXNet, run after run
  const trend = new Map<string, [string, number, string][]>();
  const withRatios = runs.filter(({ results: r }) => {
    const a = Anchors.of(r);
    return r.cells.some((c) => c.mode === 'forwardBackward' && typeof a.ratios(c)?.mxnet === 'number');
  });
  const single = withRatios.length === 1;
  for (const { results: r } of withRatios) {
    const a = Anchors.of(r);
    for (const b of ordered(r.cells.map((c) => c.backend))) {
      const v = meanRatio(r, a, b, 'forwardBackward');
      if (v === null) continue;
      const list = trend.get(b) ?? [];
      list.push([
        runX(single, r),
        v,
        `<b>${escapeHtml(b)}</b><br>run ${runLabel(r)}<br>forward+backward: ${formatRatio(v)} MXNet's time (geometric mean of ${ratiosOf(r, a, b, 'forwardBackward').length} cells)`,
      ]);
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
        single ? runLabel(withRatios[0]!.results) : null,
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
            tips: measured.map(
              (t) =>
                `<b>${escapeHtml(t.kind)}</b> ${escapeHtml(t.loss)} ${escapeHtml(t.size)} ${MODE_LABEL[t.mode]}<br>` +
                `measured ${sig3(t.value!)}, limit ${t.direction} ${sig3(t.limit)}: ${formatRatio(score(t))} the limit, ${t.met ? 'met' : 'missed'}`,
            ),
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
  const environments = new Map(results.backends.map((b) => [b.name, b.environments]));
  // a backend the run does not describe is taken as a candidate
  const candidate = (backend: string): boolean => environments.get(backend)?.includes(ROUTER_ENVIRONMENT) ?? true;
  return (results.router?.cells ?? []).map((c) => {
    const same = (x: Cell): x is Timed => x.loss === c.loss && x.size === c.size && x.mode === c.mode && timed(x);
    const fastest = results.cells
      .filter((x): x is Timed => same(x) && candidate(x.backend))
      .sort((a, b) => a.medianMs - b.medianMs)[0];
    const chosen = results.cells.find((x): x is Timed => same(x) && x.backend === c.choice);
    const routerMs = isTimed(c) ? c.medianMs! : null;
    const basis: 'choice' | 'router' | null =
      c.choice === undefined || fastest === undefined ? null : chosen ? 'choice' : routerMs !== null ? 'router' : null;
    const ratio = basis === null ? null : (basis === 'choice' ? chosen!.medianMs : routerMs!) / fastest!.medianMs;
    const slower = ratio !== null && c.choice !== fastest?.backend && ratio > 1;
    return {
      loss: c.loss,
      size: c.size,
      mode: c.mode,
      choice: c.choice ?? null,
      routerMs,
      choiceMs: chosen?.medianMs ?? null,
      fastest: fastest?.backend ?? null,
      fastestMs: fastest?.medianMs ?? null,
      slowerBy: slower ? ratio : null,
      slowerBasis: slower ? basis : null,
      note: c.status === 'ok' ? (c.note ?? null) : `${c.status}: ${c.reason ?? ''}`,
    };
  });
}

/** The training panel: per golden, MXNet's loss after each step beside gluon-loss's, and their relative deviation. */
export function trainingSection(file: TrainingReplayFile | null, invalid?: string): TrainingSection {
  if (invalid !== undefined) return { status: 'invalid', reason: invalid, rows: [], charts: [] };
  if (file === null)
    return {
      status: 'none',
      reason: 'no training-replay file given (gluon-training-replay writes one; pass it with --training)',
      rows: [],
      charts: [],
    };
  const rows: TrainingRow[] = [];
  const charts: ChartSpec[] = [];
  for (const run of file.runs) {
    const deviation = run.gluonLoss.map((v, i) => Math.abs(v - run.mxnet[i]!) / Math.abs(run.mxnet[i]!));
    const maxDeviation = Math.max(...deviation);
    rows.push({
      name: run.name,
      loss: run.loss,
      description: run.description,
      steps: run.steps,
      backend: run.backend,
      maxDeviation,
      withinTolerance: maxDeviation <= file.tolerance,
    });
    const tip = (step: number): string =>
      `<b>step ${step}</b><br>MXNet 1.9.1: loss ${sig3(run.mxnet[step]!)}<br>gluon-loss (${escapeHtml(run.backend)}): loss ${sig3(run.gluonLoss[step]!)}<br>|relative deviation| ${deviation[step] === 0 ? '0 (equal)' : sig3(deviation[step]!)}`;
    const series: LineSeries[] = [
      { name: 'MXNet 1.9.1', kind: 'reference-curve', points: run.mxnet.map((v, i) => [i, v, tip(i)] as const) },
      {
        name: `gluon-loss (router: ${run.backend})`,
        kind: 'trajectory',
        points: run.gluonLoss.map((v, i) => [i, v, tip(i)] as const),
      },
    ];
    // a log axis has no 0: steps where both agree to the last bit are left out of this line (their tooltip says so)
    const nonZero = deviation.flatMap((d, i) => (d > 0 ? [[i, d, tip(i)] as const] : []));
    if (nonZero.length > 0)
      series.push({ name: '|relative deviation|', kind: 'deviation', points: nonZero, secondAxis: true });
    const toleranceTip = `<b>tolerance</b><br>the replay tests allow ${sig3(file.tolerance)} relative at every step`;
    series.push({
      name: `tolerance ${sig3(file.tolerance)}`,
      kind: 'tolerance',
      points: [
        [0, file.tolerance, toleranceTip],
        [run.steps, file.tolerance, toleranceTip],
      ],
      secondAxis: true,
    });
    charts.push(
      trainingChart(
        `training-${slug(run.name)}`,
        `${run.name} (${run.loss}): loss per step`,
        `${run.steps} steps of SGD, lr ${sig3(run.learningRate)}; max |relative deviation| ${sig3(maxDeviation)}, tolerance ${sig3(file.tolerance)}`,
        series,
        file.tolerance,
      ),
    );
  }
  return { status: 'ok', method: file.method, tolerance: file.tolerance, rows, charts };
}

export function buildDashboard(
  runs: readonly LoadedRun[],
  skipped: readonly SkippedFile[],
  now = new Date(),
  training: TrainingSection = trainingSection(null),
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
      training,
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
    training,
    skipped,
  };
}

/** Every chart of the model, in page order. */
export function allCharts(model: DashboardModel): ChartSpec[] {
  return [...model.overview, ...model.training.charts, ...model.losses.flatMap((l) => l.charts)];
}
