/** The differential report as text: a loss x backend table, coverage gaps, and the findings. */
import { LOSS_NAMES } from '@gluon-loss/spec';
import type { DifferentialReport } from './differential.js';

export function formatReport(report: DifferentialReport): string {
  const backends = report.backends.filter((b) => b.available).map((b) => b.name);
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(`${pad('loss (passed/run, +unsupported)', 32)}${backends.map((b) => pad(b, 16)).join('')}`);
  for (const loss of LOSS_NAMES.filter((l) => report.perLoss[l] !== undefined)) {
    const row = report.perLoss[loss]!;
    const cells = backends.map((b) => {
      const c = row[b];
      if (c === undefined) return pad('-', 16);
      const run = c.pass + c.fail + c.error;
      return pad(`${c.pass}/${run}${c.unsupported ? ` +${c.unsupported}` : ''}`, 16);
    });
    lines.push(`${pad(loss, 32)}${cells.join('')}`);
  }
  for (const b of report.backends.filter((x) => !x.available)) lines.push(`${b.name}: unavailable (${b.reason ?? ''})`);
  const signatures = new Map<string, number>();
  for (const f of report.findings) signatures.set(f.signature, (signatures.get(f.signature) ?? 0) + 1);
  lines.push(
    `${report.cases} cases (seed ${report.seed}) in ${report.seconds.toFixed(0)} s: ` +
      `${report.findings.length} disagreements of ${signatures.size} kinds, ${report.oracleCrashes.length} MXNet crashes, ` +
      `${report.mxnetNondeterministic.length} cases MXNet answered two ways (left out)`,
  );
  for (const f of report.findings.filter((x) => x.minimized !== undefined)) {
    const m = f.minimized!;
    lines.push(`- ${f.backend} ${f.case}: ${f.message.slice(0, 200)}`);
    lines.push(
      `  minimized (${m.tries} tries, ${m.elements} elements): ${JSON.stringify(m.draw.config)} dims ${JSON.stringify(m.draw.dims)} ${m.draw.valueClass} ${JSON.stringify(m.draw.options)}`,
    );
    lines.push(`  ${m.message.slice(0, 200)}`);
  }
  return lines.join('\n');
}
