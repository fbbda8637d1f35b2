/**
 * The page: one HTML file with ECharts' minified build, the model as JSON and a few lines
 * that draw it, all inline, so that it opens from disk without a server (or a network).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TargetResult } from '@gluon-loss/bench';
import type { ChartSpec } from './charts.js';
import { allCharts, type DashboardModel } from './model.js';

/** ECharts' UMD build (its `require` entry is dist/echarts.js; the minified one sits beside it). */
export function echartsSource(): string {
  const entry = createRequire(import.meta.url).resolve('echarts');
  return readFileSync(join(dirname(entry), 'echarts.min.js'), 'utf8');
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON that may sit inside a <script> element: no `</script>`, no `<!--`. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const ms = (v: number | null): string =>
  v === null ? '–' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4);

function table(head: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const chartDiv = (c: ChartSpec, wide = false): string =>
  `<div class="chart${wide ? ' wide' : ''}" id="${escapeHtml(c.id)}"></div>`;

function targetRows(targets: readonly TargetResult[]): string[][] {
  return targets.map((t) => [
    escapeHtml(t.kind),
    escapeHtml(`${t.loss} ${t.size} ${t.mode}`),
    escapeHtml(t.backend ?? '–'),
    t.value === null ? '–' : t.value.toFixed(3),
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
  model.charts.forEach(function (chart) {
    var el = document.getElementById(chart.id);
    var instance = echarts.init(el, null, { renderer: 'canvas' });
    instance.setOption(chart.option);
    ids.push(chart.id);
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
.chart { height: 340px; border: 1px solid #eee; } .chart.wide { grid-column: 1 / -1; height: 420px; }
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
      `<div class="charts">${model.overview.map((c) => chartDiv(c, c.id === 'overview-targets')).join('')}</div>`,
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
    parts.push("<h2>The router's choice</h2>");
    parts.push(
      model.router.rows.length === 0
        ? `<p class="note">Router ${escapeHtml(model.router.status)}${model.router.reason ? `: ${escapeHtml(model.router.reason)}` : ''}.</p>`
        : table(
            ['loss', 'size', 'mode', 'router chose', 'router ms', 'fastest measured', 'its ms', 'note'],
            model.router.rows.map((r) => [
              escapeHtml(r.loss),
              escapeHtml(r.size),
              r.mode,
              escapeHtml(r.choice ?? '–'),
              ms(r.routerMs),
              escapeHtml(r.fastest ?? '–'),
              ms(r.fastestMs),
              escapeHtml(r.note ?? ''),
            ]),
          ),
    );
    parts.push('<h2>Per loss</h2>');
    for (const section of model.losses) {
      parts.push(`<h3 id="loss-${escapeHtml(section.loss)}">${escapeHtml(section.loss)}</h3>`);
      for (const n of section.notes) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
      parts.push(`<div class="charts">${section.charts.map((c) => chartDiv(c)).join('')}</div>`);
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
