/**
 * ECharts options as plain JSON (no functions), so they can be built and tested in Node
 * and embedded in the page as data. Every chart has animation off: the page is a report,
 * and a screenshot must show the finished drawing.
 *
 * Two things ECharts would do badly are done here instead. The legend: ECharts' own
 * legend pages (a scroll legend hides entries) or overflows, so it is turned off and the
 * page draws each chart's legend as HTML that wraps (`ChartSpec.legend`). Tooltips: a
 * JSON option cannot hold a formatter function, and ECharts' templates print raw floats,
 * so every data point carries its tooltip text (`tip`), written here with units and three
 * significant digits, and the page's one formatter shows it.
 */
import { LOSS_NAMES } from '@gluon-loss/spec';

/** How a series is drawn, and its legend entry: each series of a chart differs from the others in one of these. */
export interface SeriesStyle {
  readonly colour: string;
  /** Line dash lengths in px; empty for a solid line. */
  readonly dash: readonly number[];
  readonly width: number;
  /** An ECharts symbol (`circle`, `emptyDiamond`, ...) or `none`. */
  readonly symbol: string;
  readonly symbolSize: number;
  /** MXNet, JAX, the roofline: the references everything else is read against. */
  readonly anchor: boolean;
}

export interface LegendEntry extends SeriesStyle {
  readonly name: string;
  /** Drawn as a bar swatch rather than a line sample. */
  readonly bar: boolean;
}

export interface ChartSpec {
  /** The element id of the chart in the page. */
  readonly id: string;
  readonly option: Record<string, unknown>;
  /** One entry per series, in series order; the page draws them as a wrapping HTML legend. */
  readonly legend: readonly LegendEntry[];
}

export type SeriesKind =
  | 'backend'
  | 'router'
  /** A native anchor: MXNet 1.9.1. */
  | 'mxnet'
  /** A native anchor: JAX/XLA on CPU. */
  | 'jax'
  /** A tfjs built-in loss (`tf.losses.*`) on a tfjs backend. */
  | 'builtin'
  | 'roofline'
  /** MXNet's training curve: a wide pale band that gluon-loss's curve is drawn over. */
  | 'reference-curve'
  /** A training trajectory computed by gluon-loss. */
  | 'trajectory'
  /** |ours - MXNet| / |MXNet| per training step. */
  | 'deviation'
  /** The relative deviation a replay test allows. */
  | 'tolerance'
  /** A loss (the overview's lines, one per loss). */
  | 'loss';

/** A line of a chart: its points and how it is drawn. */
export interface LineSeries {
  readonly name: string;
  /** [x, y, tooltip HTML]: x is elements, a step, an ISO date or a run label; y ms, ns, a ratio or a loss. */
  readonly points: readonly (readonly [number | string, number, string])[];
  readonly kind: SeriesKind;
  /** Drawn against the second y axis (a chart with `y2`). */
  readonly secondAxis?: boolean;
}

const KNOWN_COLOURS: Readonly<Record<string, string>> = {
  ts: '#1f77b4',
  'tfjs-cpu': '#ff7f0e',
  'tfjs-wasm': '#2ca02c',
  'tfjs-webgl': '#bcbd22',
  'tfjs-webgpu': '#17becf',
  'onnx-wasm': '#9467bd',
  'onnx-webgpu': '#e377c2',
  'onnx-node': '#8c564b',
  'wasm-simd': '#000080',
  'wasm-simd-mt': '#e7298a',
  router: '#d62728',
  MXNet: '#000000',
  JAX: '#00695c',
  roofline: '#7f7f7f',
};
/** For backends the table does not know; none is a known colour. */
const SPARE_COLOURS = ['#393b79', '#637939', '#8c6d31', '#7b4173', '#e6550d', '#31a354', '#756bb1'];

/**
 * Each built-in backend has its own marker too, so two lines stay apart where colours are
 * hard to tell (print, colour blindness): filled for tfjs and ts, hollow for onnxruntime
 * and backend-wasm.
 */
const KNOWN_SYMBOLS: Readonly<Record<string, string>> = {
  ts: 'circle',
  'tfjs-cpu': 'rect',
  'tfjs-wasm': 'triangle',
  'tfjs-webgl': 'diamond',
  'tfjs-webgpu': 'roundRect',
  'onnx-wasm': 'emptyCircle',
  'onnx-webgpu': 'emptyDiamond',
  'onnx-node': 'emptyRect',
  'wasm-simd': 'emptyTriangle',
  'wasm-simd-mt': 'emptyRoundRect',
  router: 'pin',
};
const SPARE_SYMBOLS = ['arrow', 'emptyArrow', 'emptyPin'];

const hashOf = (s: string): number => {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
};

/** A backend keeps its colour in every chart; a backend the table does not know gets a spare one. */
export function colourOf(name: string): string {
  const base = name.replace(/ built-in$/, '');
  return KNOWN_COLOURS[base] ?? SPARE_COLOURS[hashOf(base) % SPARE_COLOURS.length]!;
}

function symbolOf(name: string): string {
  const base = name.replace(/ built-in$/, '');
  return KNOWN_SYMBOLS[base] ?? SPARE_SYMBOLS[hashOf(base) % SPARE_SYMBOLS.length]!;
}

const hollow = (symbol: string): string =>
  symbol.startsWith('empty') ? symbol : `empty${symbol[0]!.toUpperCase()}${symbol.slice(1)}`;

/**
 * A loss's look on the overview: fourteen losses in MXNet's order, seven colours, solid
 * then dashed with hollow markers (so each of the fourteen differs); an unknown name gets
 * a hashed one.
 */
const LOSS_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#17becf'];
const LOSS_SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'roundRect'];

function lossStyle(name: string): SeriesStyle {
  const known = (LOSS_NAMES as readonly string[]).indexOf(name);
  const i = known >= 0 ? known : hashOf(name) % (LOSS_COLOURS.length * 2);
  const second = Math.floor(i / LOSS_COLOURS.length) % 2 === 1;
  return {
    colour: LOSS_COLOURS[i % LOSS_COLOURS.length]!,
    dash: second ? [6, 3] : [],
    width: 2,
    symbol: second ? hollow(LOSS_SYMBOLS[i % LOSS_SYMBOLS.length]!) : LOSS_SYMBOLS[i % LOSS_SYMBOLS.length]!,
    symbolSize: 8,
    anchor: false,
  };
}

/** The one place that decides how a series looks. */
export function styleOf(name: string, kind: SeriesKind): SeriesStyle {
  const colour = colourOf(name);
  switch (kind) {
    case 'backend':
    case 'router':
      return { colour, dash: [], width: 2, symbol: symbolOf(name), symbolSize: 8, anchor: false };
    case 'builtin':
      // the backend's colour, dotted, and the backend's marker hollow: tf.losses on tfjs-cpu vs gluon-loss on tfjs-cpu
      return { colour, dash: [2, 3], width: 2, symbol: hollow(symbolOf(name)), symbolSize: 8, anchor: false };
    case 'mxnet':
      return { colour: KNOWN_COLOURS.MXNet!, dash: [9, 4], width: 3, symbol: 'rect', symbolSize: 9, anchor: true };
    case 'jax':
      return {
        colour: KNOWN_COLOURS.JAX!,
        dash: [10, 3, 2, 3],
        width: 3,
        symbol: 'diamond',
        symbolSize: 10,
        anchor: true,
      };
    case 'roofline':
      // small hollow markers: a point to hover for its tooltip
      return {
        colour: KNOWN_COLOURS.roofline!,
        dash: [4, 4],
        width: 2,
        symbol: 'emptyCircle',
        symbolSize: 5,
        anchor: true,
      };
    case 'reference-curve':
      return { colour: 'rgba(0, 0, 0, 0.3)', dash: [], width: 6, symbol: 'none', symbolSize: 0, anchor: true };
    case 'trajectory':
      return {
        colour: KNOWN_COLOURS.router!,
        dash: [4, 2],
        width: 1.5,
        symbol: 'circle',
        symbolSize: 3,
        anchor: false,
      };
    case 'loss':
      return lossStyle(name);
    case 'tolerance':
      return { colour: '#c62828', dash: [6, 3], width: 1.5, symbol: 'none', symbolSize: 0, anchor: false };
    case 'deviation':
      return { colour: '#9e9e9e', dash: [1, 2], width: 1, symbol: 'none', symbolSize: 0, anchor: false };
  }
}

function base(title: string, subtitle?: string): Record<string, unknown> {
  return {
    animation: false,
    title: {
      text: title,
      ...(subtitle ? { subtext: subtitle } : {}),
      left: 'center',
      textStyle: { fontSize: 13 },
      subtextStyle: { fontSize: 11 },
    },
    // `confine` keeps a tooltip inside the chart (and the screenshot)
    tooltip: { trigger: 'item', confine: true },
    // kept for its selection state (the HTML legend toggles series through it), never drawn
    legend: { show: false },
    grid: { left: 64, right: 24, top: subtitle ? 58 : 44, bottom: 40 },
  };
}

function lineSeries(s: LineSeries): { option: Record<string, unknown>; legend: LegendEntry } {
  const style = styleOf(s.name, s.kind);
  return {
    option: {
      name: s.name,
      type: 'line',
      data: s.points.map(([x, y, tip]) => ({ value: [x, y], tip })),
      symbol: style.symbol,
      symbolSize: style.symbolSize,
      // a line without markers still shows its tooltip at the nearest point
      showSymbol: style.symbol !== 'none',
      ...(style.symbol === 'none' ? { triggerLineEvent: true } : {}),
      lineStyle: { type: style.dash.length ? [...style.dash] : 'solid', width: style.width, color: style.colour },
      itemStyle: { color: style.colour },
      ...(style.anchor ? { z: 3 } : {}),
      ...(s.secondAxis ? { yAxisIndex: 1 } : {}),
    },
    legend: { name: s.name, ...style, bar: false },
  };
}

function lines(series: readonly LineSeries[]): { series: Record<string, unknown>[]; legend: LegendEntry[] } {
  const drawn = series.map(lineSeries);
  return { series: drawn.map((d) => d.option), legend: drawn.map((d) => d.legend) };
}

/**
 * Log-log against elements: time vs size, or time per element vs size. Where the run has
 * one size only (a filtered run), a category axis holding that size: a log axis around
 * one value spans decades of nothing.
 */
export function timeVsSizeChart(
  id: string,
  title: string,
  subtitle: string,
  yName: string,
  series: readonly LineSeries[],
): ChartSpec {
  const sizes = new Set(series.flatMap((s) => s.points.map((p) => p[0])));
  const only = sizes.size === 1 ? `${[...sizes][0]!.toLocaleString('en-US')} elements` : null;
  const { series: drawn, legend } = lines(
    only === null
      ? series
      : series.map((s) => ({ ...s, points: s.points.map(([, y, tip]) => [only, y, tip] as const) })),
  );
  return {
    id,
    legend,
    option: {
      ...base(title, only === null ? subtitle : `${subtitle}; one size in this run`),
      xAxis:
        only === null
          ? { type: 'log', name: 'elements', nameLocation: 'middle', nameGap: 26 }
          : { type: 'category', data: [only], name: 'elements', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'log', name: yName },
      series: drawn,
    },
  };
}

/**
 * A line per series over the runs. Two runs or more: a time axis (runs spaced as they
 * happened). One run: a category axis with that run alone, since a time axis around a
 * single instant spans days of nothing and squeezes the points into a column.
 */
export function historyChart(
  id: string,
  title: string,
  subtitle: string,
  yName: string,
  series: readonly LineSeries[],
  logY: boolean,
  singleRun: string | null,
): ChartSpec {
  const { series: drawn, legend } = lines(series);
  return {
    id,
    legend,
    option: {
      ...base(title, singleRun === null ? subtitle : `${subtitle}; one run so far, the trend starts with the next`),
      xAxis:
        singleRun === null
          ? { type: 'time', name: 'run', nameLocation: 'middle', nameGap: 26 }
          : { type: 'category', data: [singleRun], name: 'run', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: logY ? 'log' : 'value', name: yName },
      series: drawn,
    },
  };
}

/** The loss after each training step: MXNet's and ours on the left axis, their relative deviation (and its tolerance) on the right. */
export function trainingChart(
  id: string,
  title: string,
  subtitle: string,
  series: readonly LineSeries[],
  tolerance: number,
): ChartSpec {
  const { series: drawn, legend } = lines(series);
  return {
    id,
    legend,
    option: {
      ...base(title, subtitle),
      grid: { left: 64, right: 72, top: 58, bottom: 40 },
      xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 26, min: 0 },
      yAxis: [
        { type: 'value', name: 'loss', scale: true },
        // up to ten times the tolerance, so that its line is always in view
        { type: 'log', name: '|relative deviation|', splitLine: { show: false }, max: tolerance * 10 },
      ],
      series: drawn,
    },
  };
}

export interface BarSeries {
  readonly name: string;
  /** One value per category; null where the series has none. */
  readonly values: readonly (number | null)[];
  /** The tooltip of each bar (null where there is no bar). */
  readonly tips: readonly (string | null)[];
  /** A colour per bar (targets: met or missed), else the series colour. */
  readonly colours?: readonly string[];
}

/**
 * Bars per category, with a reference line (1 = MXNet's time, or the target's limit).
 * `logY` for ratios spanning decades.
 */
export function barChart(
  id: string,
  title: string,
  subtitle: string,
  categories: readonly string[],
  series: readonly BarSeries[],
  options: {
    logY?: boolean;
    referenceLine?: { value: number; label: string };
    horizontal?: boolean;
    yName?: string;
  } = {},
): ChartSpec {
  const valueAxis = { type: options.logY ? 'log' : 'value', name: options.yName ?? '' };
  const categoryAxis = {
    type: 'category',
    data: categories,
    axisLabel: { fontSize: 10, interval: 0, rotate: options.horizontal ? 0 : 30 },
  };
  const ref = options.referenceLine;
  return {
    id,
    legend: series.map((s) => ({ name: s.name, ...styleOf(s.name, 'backend'), bar: true })),
    option: {
      ...base(title, subtitle),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
      grid: options.horizontal
        ? { left: 260, right: 40, top: 58, bottom: 40 }
        : { left: 64, right: 56, top: 58, bottom: 80 },
      xAxis: options.horizontal ? valueAxis : categoryAxis,
      yAxis: options.horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series: series.map((s, i) => ({
        name: s.name,
        type: 'bar',
        data: s.values.map((v, j) =>
          v === null
            ? '-'
            : { value: v, tip: s.tips[j] ?? '', ...(s.colours ? { itemStyle: { color: s.colours[j] } } : {}) },
        ),
        itemStyle: { color: colourOf(s.name) },
        ...(ref && i === 0
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { color: '#000', type: 'dashed' },
                label: { formatter: ref.label },
                data: [options.horizontal ? { xAxis: ref.value } : { yAxis: ref.value }],
              },
            }
          : {}),
      })),
    },
  };
}

/** Whether every series of a chart has at least one point (charts without data are left out). */
export function hasData(
  series: readonly { points?: readonly unknown[]; values?: readonly (number | null)[] }[],
): boolean {
  return (
    series.length > 0 &&
    series.every((s) => (s.points ? s.points.length > 0 : (s.values ?? []).some((v) => v !== null)))
  );
}
