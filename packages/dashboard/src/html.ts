/**
 * The page: one HTML file with ECharts' minified build, the model as JSON and a few lines
 * that draw it, all inline, so that it opens from disk without a server (or a network).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TargetResult } from '@gluon-loss/bench';
import type { ChartSpec, LegendEntry } from './charts.js';
import { allCharts, type DashboardModel, type RouterRow, type TrainingSection } from './model.js';
import { escapeHtml, formatRatio, sig3 } from './text.js';

/** ECharts' UMD build (its `require` entry is dist/echarts.js; the minified one sits beside it). */
export function echartsSource(): string {
  const entry = createRequire(import.meta.url).resolve('echarts');
  return readFileSync(join(dirname(entry), 'echarts.min.js'), 'utf8');
}

/** JSON that may sit inside a <script> element: no `</script>`, no `<!--`. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const ms = (v: number | null): string => (v === null ? '–' : sig3(v));

/** A table cell: its HTML, or its HTML with a class (a mark the eye and the test can find). */
type TableCell = string | { readonly html: string; readonly className: string; readonly attrs?: string };
interface TableRow {
  readonly cells: readonly TableCell[];
  readonly className?: string;
}

function table(head: readonly string[], rows: readonly (readonly TableCell[] | TableRow)[], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const td = (c: TableCell): string =>
    typeof c === 'string'
      ? `<td>${c}</td>`
      : `<td class="${c.className}"${c.attrs ? ` ${c.attrs}` : ''}>${c.html}</td>`;
  const body = rows
    .map((r) => {
      const row: TableRow = 'cells' in r ? r : { cells: r };
      return `<tr${row.className ? ` class="${row.className}"` : ''}>${row.cells.map(td).join('')}</tr>`;
    })
    .join('\n');
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const MARKERS: Readonly<Record<string, string>> = {
  circle: '<circle cx="18" cy="7" r="4"/>',
  rect: '<rect x="14" y="3" width="8" height="8"/>',
  roundRect: '<rect x="14" y="3" width="8" height="8" rx="2.5"/>',
  triangle: '<path d="M18 2.5 L22.5 11 L13.5 11 Z"/>',
  diamond: '<path d="M18 2 L23 7 L18 12 L13 7 Z"/>',
  pin: '<path d="M18 13 L14.5 7.5 A4 4 0 1 1 21.5 7.5 Z"/>',
  arrow: '<path d="M18 2 L22 12 L18 9.5 L14 12 Z"/>',
};

/** The legend's sample of a series: its line (dash and width) and its marker, filled or hollow. */
function legendSample(e: LegendEntry): string {
  if (e.bar)
    return `<svg width="36" height="14" aria-hidden="true"><rect x="8" y="2" width="20" height="10" fill="${e.colour}"/></svg>`;
  const hollow = e.symbol.startsWith('empty');
  const shape = hollow ? e.symbol.slice(5, 6).toLowerCase() + e.symbol.slice(6) : e.symbol;
  const marker = MARKERS[shape] ?? '';
  const paint = hollow ? `fill="#fff" stroke="${e.colour}" stroke-width="1.5"` : `fill="${e.colour}"`;
  const dash = e.dash.length ? ` stroke-dasharray="${e.dash.join(' ')}"` : '';
  return (
    `<svg width="36" height="14" aria-hidden="true"><line x1="1" y1="7" x2="35" y2="7" stroke="${e.colour}" stroke-width="${e.width}"${dash}/>` +
    (e.symbol === 'none' ? '' : `<g ${paint}>${marker}</g>`) +
    '</svg>'
  );
}

/**
 * A chart and its legend: every entry shown, wrapping onto as many lines as it needs
 * (ECharts' own legend pages or overflows). A click toggles the series, as ECharts'
 * legend would.
 */
function chartPanel(c: ChartSpec, wide = false): string {
  const items = c.legend
    .map(
      (e) =>
        `<button type="button" class="legend-item${e.anchor ? ' anchor' : ''}" data-series="${escapeHtml(e.name)}" aria-pressed="true">${legendSample(e)}<span>${escapeHtml(e.name)}</span></button>`,
    )
    .join('');
  return (
    `<figure class="panel${wide ? ' wide' : ''}" id="panel-${escapeHtml(c.id)}">` +
    `<div class="chart" id="${escapeHtml(c.id)}"></div>` +
    `<div class="legend" data-chart="${escapeHtml(c.id)}">${items}</div></figure>`
  );
}

/** The router's verdict on one cell: fastest, or how much slower than the fastest, marked. */
function routerVerdict(r: RouterRow): TableCell {
  if (r.slowerBy !== null) {
    const basis = r.slowerBasis === 'router' ? " (the router's own call; the bench has no cell for its choice)" : '';
    return {
      className: 'not-fastest',
      attrs: `data-slower-by="${sig3(r.slowerBy)}" data-fastest="${escapeHtml(r.fastest ?? '')}"`,
      html: `${formatRatio(r.slowerBy)} slower than ${escapeHtml(r.fastest ?? '')}${basis}`,
    };
  }
  if (r.choice !== null && r.fastest !== null) return { className: 'fastest', html: 'fastest measured' };
  return '–';
}

function trainingPart(t: TrainingSection): string[] {
  const parts = ['<h2 id="training">Training against MXNet</h2>'];
  if (t.status === 'invalid') {
    parts.push(`<p class="warning">Training-replay file not drawn: ${escapeHtml(t.reason ?? '')}</p>`);
    return parts;
  }
  if (t.status === 'none') {
    parts.push(`<p class="note">No training curves: ${escapeHtml(t.reason ?? '')}.</p>`);
    return parts;
  }
  parts.push(
    `<p class="meta">MXNet 1.9.1's batch-mean loss after every step of each training golden (conformance/golden/training), beside gluon-loss's, computed by replaying the run: ${escapeHtml(t.method ?? '')}. The replay tests hold every step within ${sig3(t.tolerance!)} relative.</p>`,
  );
  parts.push(
    table(
      ['run', 'loss', 'gluon-loss backend', 'steps', 'max |relative deviation|', `within ${sig3(t.tolerance!)}`],
      t.rows.map((r) => [
        escapeHtml(r.name),
        escapeHtml(r.loss),
        escapeHtml(r.backend),
        String(r.steps),
        sig3(r.maxDeviation),
        r.withinTolerance ? '<span class="met">yes</span>' : '<span class="missed">no</span>',
      ]),
      'training',
    ),
  );
  parts.push(`<div class="charts">${t.charts.map((c) => chartPanel(c)).join('')}</div>`);
  return parts;
}

function targetRows(targets: readonly TargetResult[]): string[][] {
  return targets.map((t) => [
    escapeHtml(t.kind),
    escapeHtml(`${t.loss} ${t.size} ${t.mode}`),
    escapeHtml(t.backend ?? '–'),
    t.value === null ? '–' : sig3(t.value),
    escapeHtml(`${t.direction} ${t.limit}`),
    t.met === null
      ? `<span class="unknown">${escapeHtml(t.gap)}</span>`
      : t.met
        ? `<span class="met">met</span> ${escapeHtml(t.gap)}`
        : `<span class="missed">missed</span> ${escapeHtml(t.gap)}`,
  ]);
}

const CLIENT = `
(function () {
  var model = JSON.parse(document.getElementById('dashboard-data').textContent);
  var ids = [];
  // every data point carries its tooltip text (units, three significant digits), written in Node
  function tooltip(p) {
    if (Array.isArray(p)) {
      return p.filter(function (x) { return x.data && x.data.tip; })
        .map(function (x) { return x.marker + x.data.tip; }).join('<br>');
    }
    return p.data && p.data.tip ? p.data.tip : p.seriesName;
  }
  // axis numbers: plain where short, exponent form where a log axis reaches 1e-9 (a JSON option cannot hold a function)
  function axisNumber(v) {
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential() : String(v);
  }
  function numberAxes(axes) {
    [].concat(axes || []).forEach(function (axis) {
      if (axis.type === 'log') {
        axis.axisLabel = axis.axisLabel || {};
        axis.axisLabel.formatter = axisNumber;
      }
    });
  }
  model.charts.forEach(function (chart) {
    var el = document.getElementById(chart.id);
    numberAxes(chart.option.xAxis);
    numberAxes(chart.option.yAxis);
    var instance = echarts.init(el, null, { renderer: 'canvas' });
    chart.option.tooltip.formatter = tooltip;
    instance.setOption(chart.option);
    ids.push(chart.id);
    var legend = document.querySelector('.legend[data-chart="' + chart.id + '"]');
    legend.querySelectorAll('.legend-item').forEach(function (item) {
      item.addEventListener('click', function () {
        instance.dispatchAction({ type: 'legendToggleSelect', name: item.dataset.series });
        var on = item.getAttribute('aria-pressed') !== 'true';
        item.setAttribute('aria-pressed', String(on));
      });
    });
  });
  window.addEventListener('resize', function () {
    ids.forEach(function (id) { echarts.getInstanceByDom(document.getElementById(id)).resize(); });
  });
  window.dashboardCharts = ids;
  window.dashboardReady = true;
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 24px 48px; color: #222; }
h1 { font-size: 22px; margin: 20px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.meta { color: #555; } .warning { background: #fff4d6; border: 1px solid #e0b84c; padding: 8px 12px; margin: 10px 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px; }
.panel { margin: 0; border: 1px solid #eee; } .panel.wide { grid-column: 1 / -1; }
.chart { height: 340px; } .panel.wide .chart { height: 420px; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 10px; padding: 4px 8px 6px; font-size: 11.5px; }
.legend-item { display: inline-flex; align-items: center; gap: 3px; border: 0; background: none; padding: 1px 2px; font: inherit; cursor: pointer; color: #222; }
.legend-item.anchor span { font-weight: 600; } .legend-item[aria-pressed="false"] { opacity: 0.35; }
tr.not-fastest td { background: #fff1f0; } td.not-fastest { color: #c62828; font-weight: 600; } td.fastest { color: #1a7f37; }
table { border-collapse: collapse; margin: 8px 0; font-size: 12.5px; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f5f5f5; } .met { color: #1a7f37; font-weight: 600; } .missed { color: #c62828; font-weight: 600; } .unknown { color: #777; }
.note { color: #666; font-style: italic; } code { font-size: 12px; }
`;

export function renderHtml(model: DashboardModel): string {
  const charts = allCharts(model);
  const latest = model.latest;
  const parts: string[] = [];
  parts.push('<h1>gluon-loss benchmark</h1>');
  if (latest === null) {
    parts.push('<p class="warning">No bench results found. Run <code>pnpm bench</code> first.</p>');
  } else {
    const v = latest.versions;
    parts.push(
      `<p class="meta">Latest run ${escapeHtml(latest.startedAt)} (${latest.quick ? 'quick grid' : 'full grid'}, <code>${escapeHtml(latest.file)}</code>) on ${escapeHtml(latest.machine.cpu)}, ${latest.machine.cores} cores, ${latest.machine.memoryGiB} GiB; Node ${escapeHtml(latest.machine.node)}; ${escapeHtml(latest.machine.browser ?? 'no browser')}. ` +
        `MXNet ${escapeHtml(v.mxnet ?? '–')} (${escapeHtml(latest.mxnet.status)}${latest.mxnet.threads !== undefined ? `, threads: ${escapeHtml(String(latest.mxnet.threads))}` : ''}${latest.mxnet.reason ? `: ${escapeHtml(latest.mxnet.reason)}` : ''}), ` +
        `tfjs ${escapeHtml(v['@tensorflow/tfjs'] ?? '–')}, onnxruntime-web ${escapeHtml(v['onnxruntime-web'] ?? '–')}, onnxruntime-node ${escapeHtml(v['onnxruntime-node'] ?? '–')}. ${model.runs.length} run(s) in the history. Generated ${escapeHtml(model.generatedAt)}.</p>`,
    );
  }
  for (const s of model.skipped)
    parts.push(`<p class="warning">Skipped <code>${escapeHtml(s.file)}</code>: ${escapeHtml(s.reason)}</p>`);
  if (latest !== null) {
    parts.push('<h2>Overview</h2>');
    parts.push(
      `<div class="charts">${model.overview.map((c) => chartPanel(c, c.id === 'overview-targets' || c.id === 'overview-per-element')).join('')}</div>`,
    );
    parts.push('<h3>Backends</h3>');
    parts.push(
      table(
        ['backend', 'environments', 'available', 'start-up ms', 'reason'],
        latest.backends.map((b) => [
          escapeHtml(b.name),
          escapeHtml(b.environments.join(', ')),
          b.available ? 'yes' : 'no',
          b.initMs === undefined ? '–' : ms(b.initMs),
          escapeHtml(b.reason ?? ''),
        ]),
      ),
    );
    parts.push('<h2>Targets</h2>');
    parts.push(
      model.targets.length === 0
        ? '<p class="note">None of the target cells are in the latest run (a quick or filtered run); a full run reaches all of them.</p>'
        : table(['target', 'cell', 'backend', 'value', 'limit', 'status and gap'], targetRows(model.targets)),
    );
    parts.push('<h2 id="router">The router\'s choice</h2>');
    const slower = model.router.rows.filter((r) => r.slowerBy !== null).length;
    parts.push(
      model.router.rows.length === 0
        ? `<p class="note">Router ${escapeHtml(model.router.status)}${model.router.reason ? `: ${escapeHtml(model.router.reason)}` : ''}.</p>`
        : `<p class="meta">Each cell's choice against the fastest backend the bench measured where the router runs (Node; browser-only backends are not its candidates). ${slower} of ${model.router.rows.length} cells chose a slower one, marked.</p>` +
            table(
              [
                'loss',
                'size',
                'mode',
                'router chose',
                "choice's ms",
                'router ms',
                'fastest measured',
                'its ms',
                'verdict',
                'note',
              ],
              model.router.rows.map((r) => ({
                className: r.slowerBy !== null ? 'not-fastest' : '',
                cells: [
                  escapeHtml(r.loss),
                  escapeHtml(r.size),
                  r.mode,
                  escapeHtml(r.choice ?? '–'),
                  ms(r.choiceMs),
                  ms(r.routerMs),
                  escapeHtml(r.fastest ?? '–'),
                  ms(r.fastestMs),
                  routerVerdict(r),
                  escapeHtml(r.note ?? ''),
                ],
              })),
              'router',
            ),
    );
    parts.push(...trainingPart(model.training));
    parts.push('<h2>Per loss</h2>');
    for (const section of model.losses) {
      parts.push(`<h3 id="loss-${escapeHtml(section.loss)}">${escapeHtml(section.loss)}</h3>`);
      for (const n of section.notes) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
      parts.push(`<div class="charts">${section.charts.map((c) => chartPanel(c)).join('')}</div>`);
    }
    parts.push('<h2>Runs</h2>');
    parts.push(
      table(
        ['started (UTC)', 'grid', 'cells', 'file'],
        [...model.runs]
          .reverse()
          .map((r) => [
            escapeHtml(r.startedAt),
            r.quick ? 'quick' : 'full',
            String(r.cells),
            `<code>${escapeHtml(r.file)}</code>`,
          ]),
      ),
    );
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gluon-loss benchmark</title>
<style>${STYLE}</style>
<script>${echartsSource().replace(/<\/script/gi, '<\\/script')}</script>
</head>
<body>
${parts.join('\n')}
<script type="application/json" id="dashboard-data">${scriptJson({ charts })}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}
