/** The text a run prints: progress lines, each backend's ratio to MXNet, and the targets. */
import type { BenchResults, Cell } from './format.js';
import { geometricMean, isTimed } from './ratios.js';
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
  const head = `[${String(p.done).padStart(width)}/${p.total}] ${(p.section === 'mxnet' ? 'mxnet' : p.section === 'tfjsBuiltin' ? `${c.backend} built-in` : c.backend).padEnd(18)} ${c.loss} ${c.size} ${c.mode}`;
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
 * Each backend's time against MXNet's, as the geometric mean over the cells both timed
 * (per mode), and how many cells ran; the router's too when it was timed.
 */
export function formatMxnetSummary(results: BenchResults): string {
  const rows = [['backend', 'cells ok', 'vs MXNet forward', 'vs MXNet fwd+bwd', 'vs MXNet best', 'vs MXNet worst']];
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
      ]);
      continue;
    }
    const of = (mode: string) =>
      geometricMean(ok.filter((c) => c.mode === mode && c.ratios?.mxnet != null).map((c) => c.ratios!.mxnet!));
    const every = ok.map((c) => c.ratios?.mxnet).filter((v): v is number => typeof v === 'number');
    rows.push([
      name,
      `${ok.length}/${mine.length}`,
      ratio(of('forward')),
      ratio(of('forwardBackward')),
      every.length ? ratio(Math.min(...every)) : '-',
      every.length ? ratio(Math.max(...every)) : '-',
    ]);
  }
  const mx = results.reference.mxnet;
  const head =
    mx.status === 'ok'
      ? `Time / MXNet ${results.versions.mxnet ?? ''} time (geometric mean over cells; below 1 is faster than MXNet; MXNet threads: ${mx.threads ?? 'default'}, ${results.machine.cores} cores)`
      : `MXNet ${mx.status}: ${mx.reason ?? ''}`;
  return `${head}\n${table(rows)}`;
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
