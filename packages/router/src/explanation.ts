/**
 * What `explain()` returns: for one routed loss, which backend ran each shape bucket and
 * mode, why (policy, eligibility, each candidate's times, first-call costs), and every
 * fault on the way. Plain data (it survives JSON and structured cloning), with a text
 * form for a terminal.
 */
import type { Environment } from '@gluon-loss/spec';
import type { BackendAvailability } from './backend-pool.js';
import type { CandidateTiming } from './calibration.js';
import type { CallMode, DecisionRule } from './decisions.js';
import type { BackendAttempt } from './errors.js';

export interface RouteExplanation {
  readonly mode: CallMode;
  readonly bucket: string;
  /** The backend that runs this bucket and mode now. */
  readonly backend: string;
  readonly rule: DecisionRule;
  readonly reason: string;
  /** 'imported' when the decision came from `importDecisions`. */
  readonly source: 'decided' | 'imported';
  /** Calls this route has completed on `backend`. */
  readonly calls: number;
  readonly fallbacks: readonly string[];
  readonly timings: readonly CandidateTiming[];
}

export interface FaultRecord {
  /** The call of this routed loss it happened in (1 = the first call). */
  readonly call: number;
  readonly mode: CallMode;
  readonly bucket: string;
  readonly backend: string;
  /** load: loading or probing it missed its deadline; compile; call (threw, missed its deadline, or returned a malformed result). */
  readonly stage: 'load' | 'compile' | 'call';
  readonly error: string;
  /** The device or context was lost (or the backend said it cannot run): not tried again. */
  readonly lost: boolean;
  /** The backend that completed the call instead; null when none did. */
  readonly recoveredBy: string | null;
}

export interface LastCall {
  readonly call: number;
  readonly mode: CallMode;
  readonly bucket: string;
  /** The backend whose result the call returned. */
  readonly backend: string;
  /** Backends that failed on this call before `backend` completed it. */
  readonly fellBackFrom: readonly string[];
}

export interface Explanation {
  readonly loss: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly policy: string;
  readonly environment: Environment;
  /** The backend that computed the last call's result; null before the first call. */
  readonly backend: string | null;
  readonly lastCall: LastCall | null;
  readonly calls: number;
  readonly eligibility: {
    /** Where eligibility comes from. */
    readonly source: string;
    /** Backends that may run this loss here, in the order they are preferred on ties. */
    readonly candidates: readonly string[];
    /** The others, each with why. */
    readonly excluded: readonly BackendAttempt[];
  };
  readonly availability: readonly BackendAvailability[];
  readonly routes: readonly RouteExplanation[];
  readonly faults: readonly FaultRecord[];
  /** The compiled losses held now (a bounded cache) and the bytes they report. */
  readonly compiled: { readonly backends: readonly string[]; readonly bytes: number };
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** The timings as a small table, one candidate a row. */
export function formatTimings(timings: readonly CandidateTiming[]): string[] {
  if (timings.length === 0) return [];
  const predicted = timings.some((t) => t.predictedMs !== undefined);
  const rows = [
    [
      'candidate',
      'status',
      'median ms',
      ...(predicted ? ['predicted ms'] : []),
      'runs ms',
      'first call ms',
      'compile ms',
      'load ms',
      'note',
    ],
  ];
  for (const t of timings) {
    rows.push([
      t.backend,
      t.status,
      ms(t.medianMs),
      ...(predicted ? [ms(t.predictedMs ?? null)] : []),
      t.runsMs.map(ms).join(' ') || '-',
      ms(t.firstCallMs),
      ms(t.compileMs),
      ms(t.loadMs),
      t.reason ?? '',
    ]);
  }
  return table(rows);
}

export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  out.push(`${e.loss} ${JSON.stringify(e.config)}`);
  out.push(
    `policy ${e.policy}, ${e.environment}; ${e.calls} call(s); last call ran on ${e.backend ?? '(no call yet)'}`,
  );
  if (e.lastCall !== null && e.lastCall.fellBackFrom.length > 0) {
    out.push(`  last call fell back from ${e.lastCall.fellBackFrom.join(', ')}`);
  }
  out.push(`eligible (${e.eligibility.source}): ${e.eligibility.candidates.join(', ') || 'none'}`);
  for (const x of e.eligibility.excluded) out.push(`  not a candidate: ${x.backend} (${x.stage}): ${x.reason}`);
  out.push(
    `backends: ${e.availability
      .map(
        (a) =>
          `${a.backend} ${a.state}${a.loadMs !== undefined ? ` (${ms(a.loadMs)} ms to load)` : ''}${a.reason ? `: ${a.reason}` : ''}`,
      )
      .join('; ')}`,
  );
  for (const r of e.routes) {
    out.push(
      `${r.mode} ${r.bucket}: ${r.backend} (${r.rule}${r.source === 'imported' ? ', imported' : ''}; ${r.calls} call(s))`,
    );
    out.push(`  ${r.reason}`);
    for (const line of formatTimings(r.timings)) out.push(`    ${line}`);
  }
  if (e.faults.length > 0) {
    out.push('faults:');
    for (const f of e.faults) {
      out.push(
        `  call ${f.call} ${f.mode} ${f.bucket}: ${f.backend} failed at ${f.stage}${f.lost ? ' (lost, not tried again)' : ''}: ${f.error}; ` +
          (f.recoveredBy === null ? 'no backend completed it' : `completed by ${f.recoveredBy}`),
      );
    }
  }
  return out.join('\n');
}
