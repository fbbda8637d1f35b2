/**
 * ECharts options as plain JSON (no functions), so they can be built and tested in Node
 * and embedded in the page as data. Every chart has animation off: the page is a report,
 * and a screenshot must show the finished drawing.
 */

export interface ChartSpec {
  /** The element id of the chart in the page. */
  readonly id: string;
  readonly option: Record<string, unknown>;
}

/** A line of a chart: its points and how it is drawn. */
export interface LineSeries {
  readonly name: string;
  /** [x, y, label]: x is elements or an ISO date, y milliseconds or a ratio. */
  readonly points: readonly (readonly [number | string, number, string])[];
  readonly kind: 'backend' | 'mxnet' | 'builtin' | 'roofline' | 'router';
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
  router: '#d62728',
  MXNet: '#000000',
  roofline: '#7f7f7f',
};
const SPARE_COLOURS = ['#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#e6550d'];

/** A backend keeps its colour in every chart; a backend the table does not know gets a spare one. */
export function colourOf(name: string): string {
  const base = name.replace(/ built-in$/, '');
  const known = KNOWN_COLOURS[base];
  if (known !== undefined) return known;
  let h = 0;
  for (const ch of base) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return SPARE_COLOURS[h % SPARE_COLOURS.length]!;
}

const LINE_TYPES: Readonly<Record<LineSeries['kind'], string>> = {
  backend: 'solid',
  router: 'solid',
  mxnet: 'dashed',
  builtin: 'dotted',
  roofline: 'dashed',
};

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
    tooltip: { trigger: 'item' },
    legend: { type: 'scroll', bottom: 0, textStyle: { fontSize: 11 } },
    grid: { left: 64, right: 24, top: subtitle ? 58 : 44, bottom: 64 },
  };
}

function lineSeries(s: LineSeries): Record<string, unknown> {
  const colour = colourOf(s.name);
  return {
    name: s.name,
    type: 'line',
    data: s.points.map(([x, y, label]) => ({ value: [x, y], name: label })),
    symbol: s.kind === 'roofline' ? 'none' : 'circle',
    symbolSize: s.kind === 'backend' || s.kind === 'router' ? 7 : 5,
    lineStyle: { type: LINE_TYPES[s.kind], width: s.kind === 'backend' ? 2 : 1.5, color: colour },
    itemStyle: { color: colour },
  };
}

/** Time against size, log-log: one line per backend, the anchors as reference lines. */
export function timeVsSizeChart(id: string, title: string, series: readonly LineSeries[]): ChartSpec {
  return {
    id,
    option: {
      ...base(title, 'median ms, log-log; dashed: MXNet and roofline, dotted: tfjs built-ins'),
      xAxis: { type: 'log', name: 'elements', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'log', name: 'ms' },
      series: series.map(lineSeries),
    },
  };
}

/** A line per series over the runs' start times. */
export function historyChart(
  id: string,
  title: string,
  subtitle: string,
  yName: string,
  series: readonly LineSeries[],
  logY: boolean,
): ChartSpec {
  return {
    id,
    option: {
      ...base(title, subtitle),
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', name: 'run', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: logY ? 'log' : 'value', name: yName },
      series: series.map(lineSeries),
    },
  };
}

export interface BarSeries {
  readonly name: string;
  /** One value per category; null where the series has none. */
  readonly values: readonly (number | null)[];
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
    option: {
      ...base(title, subtitle),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: options.horizontal
        ? { left: 260, right: 40, top: 58, bottom: 48 }
        : { left: 64, right: 56, top: 58, bottom: 96 },
      xAxis: options.horizontal ? valueAxis : categoryAxis,
      yAxis: options.horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series: series.map((s, i) => ({
        name: s.name,
        type: 'bar',
        data: s.values.map((v, j) =>
          v === null ? '-' : s.colours ? { value: v, itemStyle: { color: s.colours[j] } } : v,
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
