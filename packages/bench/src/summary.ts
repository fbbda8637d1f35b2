/**
 * The text a run prints: progress lines, each backend's ratio to MXNet and to JAX, the
 * time per element at the largest sizes, and the targets.
 */
import type { BenchResults, Cell, Mode } from './format.js';
import { Anchors, fastestCell, geometricMean, isTimed, nsPerElement } from './ratios.js';
import type { Progress } from './run.js';
import type { TargetResult } from './targets.js';

const ms = (v: number | undefined): string =>
  v === undefined
    ? '-'
    : v >= 100
      ? `${v.toFixed(0)} ms`
      : v >= 1
        ? `${v.toFixed(2)} ms`
        : v >= 0.001
          ? `${(v * 1000).toFixed(1)} µs`
          : `${(v * 1e6).toFixed(0)} ns`;
const ratio = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(2)}×`);

export function formatProgress(p: Progress): string {
  if (p.section === 'roofline' && p.roofline) {
    const r = p.roofline;
    return `roofline ${(r.bytes / 2 ** 20).toFixed(2)} MiB: ${ms(r.medianMs)}, ${r.gbPerS.toFixed(1)} GB/s`;
  }
  const c = p.cell!;
  const width = String(p.total).length;
  const head = `[${String(p.done).padStart(width)}/${p.total}] ${(p.section === 'mxnet' || p.section === 'jax' ? p.section : p.section === 'tfjsBuiltin' ? `${c.backend} built-in` : c.backend).padEnd(18)} ${c.loss} ${c.size} ${c.mode}`;
  if (c.status !== 'ok') return `${head}: ${c.status}: ${c.reason ?? ''}`;
  const extra = c.choice ? `, chose ${c.choice}` : '';
  return `${head}: ${ms(c.medianMs)} (first call ${ms(c.firstCallMs)}${extra})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/**
 * Each backend's time against MXNet's and JAX's, as the geometric mean over the cells
 * both timed (per mode), and how many cells ran; the router's too when it was timed.
 */
export function formatMxnetSummary(results: BenchResults): string {
  const rows = [
    [
      'backend',
      'cells ok',
      'vs MXNet forward',
      'vs MXNet fwd+bwd',
      'vs MXNet best',
      'vs MXNet worst',
      'vs JAX forward',
      'vs JAX fwd+bwd',
    ],
  ];
  const all: Cell[] = [...results.cells, ...(results.router?.cells ?? [])];
  const names = [...new Set(all.map((c) => c.backend))];
  for (const name of names) {
    const mine = all.filter((c) => c.backend === name);
    const ok = mine.filter(isTimed);
    if (ok.length === 0) {
      rows.push([
        name,
        `0/${mine.length}`,
        `${mine[0]?.status ?? 'no cell'}: ${(mine[0]?.reason ?? '').slice(0, 70)}`,
        '',
        '',
        '',
        '',
        '',
      ]);
      continue;
    }
    const of = (mode: string, anchor: 'mxnet' | 'jax' = 'mxnet') =>
      geometricMean(ok.filter((c) => c.mode === mode && c.ratios?.[anchor] != null).map((c) => c.ratios![anchor]!));
    const every = ok.map((c) => c.ratios?.mxnet).filter((v): v is number => typeof v === 'number');
    rows.push([
      name,
      `${ok.length}/${mine.length}`,
      ratio(of('forward')),
      ratio(of('forwardBackward')),
      every.length ? ratio(Math.min(...every)) : '-',
      every.length ? ratio(Math.max(...every)) : '-',
      ratio(of('forward', 'jax')),
      ratio(of('forwardBackward', 'jax')),
    ]);
  }
  const mx = results.reference.mxnet;
  const head =
    mx.status === 'ok'
      ? `Time / MXNet ${results.versions.mxnet ?? ''} time (geometric mean over cells; below 1 is faster than MXNet; MXNet threads: ${mx.threads ?? 'default'}, ${results.machine.cores} cores)`
      : `MXNet ${mx.status}: ${mx.reason ?? ''}`;
  const jax = results.reference.jax;
  const jaxHead =
    jax === undefined
      ? 'JAX: not in this file'
      : jax.status === 'ok'
        ? `JAX ${results.versions.jax ?? ''} on ${jax.device ?? 'cpu'} (XLA, jitted; threads: ${jax.threads ?? 'default'}): the same ratios in the last two columns`
        : `JAX ${jax.status}: ${jax.reason ?? ''}`;
  return `${head}\n${jaxHead}\n${table(rows)}`;
}

/** The sizes whose time per element is printed: the largest of each loss, and any of 1M elements or more. */
function perElementCases(results: BenchResults): { loss: string; size: string }[] {
  const seen = new Map<string, { loss: string; size: string; elements: number }>();
  for (const c of results.cells) seen.set(`${c.loss}|${c.size}`, { loss: c.loss, size: c.size, elements: c.elements });
  const all = [...seen.values()];
  const largest = new Map<string, number>();
  for (const c of all) largest.set(c.loss, Math.max(largest.get(c.loss) ?? 0, c.elements));
  return all.filter((c) => c.elements >= 2 ** 20 || c.elements === largest.get(c.loss));
}

const ns = (v: number | undefined): string => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(2));

/**
 * Time per element (`nsPerElement`, ns of median time per element of the main input) of
 * the fastest backend, MXNet and JAX at the largest sizes, so that a step in how cost
 * grows (a cache falling out, a kernel switching) shows beside the smaller sizes' figure.
 */
export function formatPerElement(results: BenchResults): string {
  const anchors = Anchors.of(results);
  const modes: Mode[] = ['forward', 'forwardBackward'];
  const rows = [['cell', 'mode', 'fastest', 'ns/element', 'MXNet ns/element', 'JAX ns/element']];
  for (const at of perElementCases(results)) {
    for (const mode of modes) {
      const where = { ...at, mode };
      const best = fastestCell(results.cells, where);
      const mx = anchors.mxnet(where);
      const jax = anchors.jax(where);
      rows.push([
        `${at.loss} ${at.size}`,
        mode,
        best?.backend ?? '-',
        ns(best && nsPerElement(best)),
        ns(mx && nsPerElement(mx)),
        ns(jax && nsPerElement(jax)),
      ]);
    }
  }
  if (rows.length === 1) return 'Time per element: no cell was timed.';
  return `Time per element (median ns per element of the main input; the largest sizes of each loss)\n${table(rows)}`;
}

export function formatTargets(targets: readonly TargetResult[]): string {
  if (targets.length === 0)
    return 'Targets: none of the target cells are in this grid (run without --quick to reach them).';
  const rows = [['target', 'cell', 'backend', 'value', 'limit', 'status']];
  for (const t of targets) {
    rows.push([
      t.kind,
      `${t.loss} ${t.size} ${t.mode}`,
      t.backend ?? '-',
      t.value === null ? '-' : t.value.toFixed(2),
      `${t.direction} ${t.limit}`,
      t.met === null ? t.gap : t.met ? `met (${t.gap})` : `MISSED: ${t.gap}`,
    ]);
  }
  return `Targets (reported, not asserted)\n${table(rows)}`;
}
