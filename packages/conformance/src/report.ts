/** The conformance report: what outside backend authors get as JSON, and its table. */
import { LOSS_NAMES } from '@gluon-loss/spec';
import type { ToleranceRuleKind } from './compare.js';

export type CaseStatus = 'pass' | 'fail' | 'unsupported' | 'error';

export interface ErrorMetrics {
  readonly maxAbsErr: number | null;
  readonly maxRelErr: number | null;
}

export interface CaseResult {
  readonly backend: string;
  /** Canonical loss name. */
  readonly loss: string;
  /** The golden case name, `Loss/case-name`. */
  readonly case: string;
  /** 'call': compared with MXNet's values; 'rejection': MXNet rejects the case and so must the backend. */
  readonly kind: 'call' | 'rejection';
  readonly status: CaseStatus;
  /**
   * For a call that ran: the tolerance it was judged by. 'fixed': atol + rtol against
   * MXNet's float32 values (a version-1 golden); 'fixed-or-float64': that, or within the
   * float64 rule of tolerances.ts (a version-2 golden). A failure's message names the
   * rule each failing element missed, with its numbers.
   */
  readonly rule?: ToleranceRuleKind;
  /** Whether the forward value (or, for an error case, the rejection) was right; null when not run. */
  readonly forwardPass: boolean | null;
  /** Whether every gradient was right; null for error cases and cases not run. */
  readonly gradPass: boolean | null;
  readonly forward: ErrorMetrics | null;
  readonly grads: Readonly<Record<string, ErrorMetrics>>;
  readonly message?: string;
}

export interface BackendStatus {
  readonly name: string;
  readonly available: boolean;
  readonly reason?: string;
}

export type Summary = Record<string, Record<CaseStatus, number>>;

export interface ConformanceReport {
  readonly reference: { readonly mxnet: string };
  readonly environment: { readonly runtime: string; readonly userAgent?: string };
  readonly backends: readonly BackendStatus[];
  readonly results: readonly CaseResult[];
  readonly summary: Summary;
}

export function summarize(backends: readonly BackendStatus[], results: readonly CaseResult[]): Summary {
  const summary: Summary = {};
  for (const b of backends) summary[b.name] = { pass: 0, fail: 0, unsupported: 0, error: 0 };
  for (const r of results) summary[r.backend]![r.status]++;
  return summary;
}

interface Cell {
  fwdPass: number;
  fwdTotal: number;
  gradPass: number;
  gradTotal: number;
  unsupported: number;
  failing: number;
}

/**
 * A loss × backend table: for each cell, forward passed/total and gradient passed/total
 * ("gap" where the backend does not implement the loss at all).
 */
export function formatTable(report: ConformanceReport): string {
  const backends = report.backends.filter((b) => b.available).map((b) => b.name);
  const present = new Set(report.results.map((r) => r.loss));
  const losses = LOSS_NAMES.filter((l) => present.has(l));
  const cells = new Map<string, Cell>();
  for (const r of report.results) {
    const key = `${r.loss}\u0000${r.backend}`;
    const c = cells.get(key) ?? { fwdPass: 0, fwdTotal: 0, gradPass: 0, gradTotal: 0, unsupported: 0, failing: 0 };
    if (r.status === 'unsupported') c.unsupported++;
    else {
      c.fwdTotal++;
      if (r.forwardPass === true) c.fwdPass++;
      if (r.kind === 'call') {
        c.gradTotal++;
        if (r.gradPass === true) c.gradPass++;
      }
    }
    if (r.status !== 'pass') c.failing++;
    cells.set(key, c);
  }
  const text = (c: Cell | undefined): string => {
    if (c === undefined) return '-';
    if (c.fwdTotal === 0 && c.unsupported > 0) return 'gap';
    const s = `${c.fwdPass}/${c.fwdTotal} ${c.gradPass}/${c.gradTotal}`;
    return c.unsupported > 0 ? `${s} +${c.unsupported} gap` : c.failing > 0 ? `${s} !` : s;
  };
  const header = ['loss (fwd / grad passed)', ...backends];
  const rows = losses.map((loss) => [loss, ...backends.map((b) => text(cells.get(`${loss}\u0000${b}`)))]);
  const totals = [
    'total',
    ...backends.map((b) => {
      const s = report.summary[b]!;
      const all = s.pass + s.fail + s.unsupported + s.error;
      return `${s.pass}/${all} cases`;
    }),
  ];
  const table = [header, ...rows, totals];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), line(totals)];
  const unavailable = report.backends.filter((b) => !b.available);
  for (const b of unavailable) out.push(`unavailable: ${b.name}: ${b.reason ?? 'unknown reason'}`);
  return out.join('\n');
}
