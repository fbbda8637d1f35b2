/**
 * A differential run: seeded random cases, MXNet 1.9.1's answers from the oracle, every
 * backend through the conformance runner (the goldens' own comparison and tolerances),
 * and for each distinct disagreement a minimized reproduction.
 */
import { decodeGoldenFile, mergeSuites, type GoldenCaseJson, type GoldenSuite } from '@gluon-loss/golden';
import {
  runConformance,
  type BackendStatus,
  type CaseResult,
  type CaseStatus,
  type ConformanceReport,
} from '@gluon-loss/conformance';
import {
  canonicalLossName,
  isGluonLossError,
  parseConfig,
  type Backend,
  type CanonicalLossName,
} from '@gluon-loss/spec';
import { goldenFile, requestOf } from './encode.js';
import { drawCases, type DrawnCase } from './generate.js';
import { minimize, type Minimized } from './minimize.js';
import { OracleError, type Oracle } from './oracle.js';

export interface DifferentialOptions {
  readonly seed: number;
  /** Cases in all, spread evenly over the losses. */
  readonly count: number;
  readonly losses: readonly CanonicalLossName[];
  /** The backends to run, in this process; each disagreement is minimized on its backend. */
  readonly backends: readonly Backend[];
  readonly oracle: Oracle;
  /**
   * Runs the cases somewhere else instead (a browser page): given MXNet's records, returns
   * the conformance report. Disagreements found there are reported, not minimized.
   */
  readonly execute?: (records: readonly GoldenCaseJson[]) => Promise<ConformanceReport>;
  /**
   * Cases asked of MXNet and run on the backends together (default 500). Each batch's
   * records (inputs, MXNet's values and the float64 reference, as JSON numbers) are dropped
   * before the next, so a long run's memory does not grow with its length: 5,000 cases
   * held at once passed V8's 4 GB heap.
   */
  readonly batchSize?: number;
  /** How many distinct disagreements to minimize (each costs up to ~100 oracle calls). */
  readonly minimizeLimit?: number;
  readonly onProgress?: (message: string) => void;
}

export interface Finding {
  readonly backend: string;
  readonly loss: string;
  readonly case: string;
  readonly status: CaseStatus;
  readonly message: string;
  readonly classes: readonly string[];
  /** Same cause as an earlier finding (same backend, loss and message shape): not minimized again. */
  readonly signature: string;
  readonly minimized?: Minimized;
}

type Counts = Record<CaseStatus, number>;

export interface DifferentialReport {
  readonly seed: number;
  readonly cases: number;
  /** The names of the cases run on the backends (drawn, and answered by MXNet). */
  readonly caseNames: readonly string[];
  readonly backends: readonly BackendStatus[];
  /** Cases MXNet's oracle died on (its out-of-bounds reads): not run on any backend. */
  readonly oracleCrashes: readonly string[];
  /** Cases MXNet answered differently when asked twice (uninitialised memory): not run either. */
  readonly mxnetNondeterministic: readonly string[];
  /** Loss -> backend -> counts of case results. */
  readonly perLoss: Readonly<Record<string, Readonly<Record<string, Counts>>>>;
  /** Loss -> coverage class -> number of cases. */
  readonly coverage: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly findings: readonly Finding[];
  readonly seconds: number;
}

/**
 * MXNet raises some config problems only at the call (L2Loss's weight=None is `None / 2`
 * in forward); the spec rejects them when the loss is built. Either way the case is
 * refused, so a call rejection that our config parse already refuses counts as 'config'.
 */
function rejectionKind(loss: string, config: Readonly<Record<string, unknown>>, mxnetKind: 'config' | 'input') {
  if (mxnetKind === 'config') return 'config';
  try {
    parseConfig(loss, config);
    return 'input';
  } catch (e) {
    return isGluonLossError(e) && e.kind === 'config' ? 'config' : 'input';
  }
}

/** The golden record of a drawn case, MXNet's answer included; undefined where MXNet crashed. */
export async function goldenRecords(
  oracle: Oracle,
  cases: readonly DrawnCase[],
  crashed: string[] = [],
  nondeterministic: string[] = [],
): Promise<(GoldenCaseJson | undefined)[]> {
  const out: (GoldenCaseJson | undefined)[] = new Array(cases.length).fill(undefined);
  const WINDOW = 256;
  for (let start = 0; start < cases.length;) {
    const window = cases.slice(start, start + WINDOW);
    // Each request is encoded once (a 64K-element case is a large JSON text), then reused for the record.
    const requests = window.map((c) => requestOf(c));
    const asked = requests.map((r) => oracle.ask(r));
    let next = start + window.length;
    for (let i = 0; i < window.length; i++) {
      try {
        const answer = await asked[i]!;
        if (answer.nondeterministic) {
          nondeterministic.push(window[i]!.name);
          continue;
        }
        const request = requests[i]!;
        const error =
          answer.error === undefined
            ? undefined
            : { ...answer.error, kind: rejectionKind(request.loss, request.config, answer.error.kind) };
        out[start + i] = { ...request, ...answer, ...(error ? { error } : {}) } as GoldenCaseJson;
      } catch (e) {
        if (!(e instanceof OracleError)) throw e;
        // The first request in flight is the one MXNet died on; the rest are asked again.
        crashed.push(window[i]!.name);
        await Promise.allSettled(asked.slice(i + 1));
        next = start + i + 1;
        break;
      }
    }
    start = next;
  }
  return out;
}

/** The records grouped by canonical loss, in their order (one golden file each). */
export function recordsByLoss(records: readonly GoldenCaseJson[]): Map<string, GoldenCaseJson[]> {
  const byLoss = new Map<string, GoldenCaseJson[]>();
  for (const r of records) {
    const loss = canonicalLossName(r.loss);
    const list = byLoss.get(loss);
    if (list === undefined) byLoss.set(loss, [r]);
    else list.push(r);
  }
  return byLoss;
}

export function suiteOf(records: readonly GoldenCaseJson[]): GoldenSuite {
  return mergeSuites(
    [...recordsByLoss(records)].map(([loss, cs]) => decodeGoldenFile(goldenFile(loss, cs), `differential ${loss}`)),
  );
}

/** Backend, loss and the message with its numbers taken out: one cause, however many cases show it. */
export function signatureOf(r: CaseResult): string {
  const shape = (r.message ?? r.status)
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, '#')
    .replace(/\[[#, ]*\]/g, '[..]')
    .slice(0, 120);
  return `${r.backend} ${r.loss} ${r.status}: ${shape}`;
}

function emptyCounts(): Counts {
  return { pass: 0, fail: 0, unsupported: 0, error: 0 };
}

export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const cases = drawCases(options.seed, options.count, options.losses);
  progress(`${cases.length} cases drawn (seed ${options.seed})`);
  const crashed: string[] = [];
  const nondeterministic: string[] = [];
  const byName = new Map(cases.map((c) => [c.name, c]));
  const batchSize = options.batchSize ?? 500;
  const answeredNames: string[] = [];
  const results: CaseResult[] = [];
  let backends: ConformanceReport['backends'] = [];
  const batches: DrawnCase[][] = [];
  for (let start = 0; start < cases.length; start += batchSize) batches.push(cases.slice(start, start + batchSize));
  const ask = (batch: DrawnCase[] | undefined) =>
    batch === undefined ? undefined : goldenRecords(options.oracle, batch, crashed, nondeterministic);
  // MXNet answers the next batch (in its own process) while the backends run this one.
  let asked = ask(batches[0]);
  for (let b = 0, start = 0; b < batches.length; start += batches[b]!.length, b++) {
    const batch = batches[b]!;
    const records = (await asked)!;
    asked = ask(batches[b + 1]);
    const answered = records.filter((r): r is GoldenCaseJson => r !== undefined);
    progress(
      `cases ${start + 1}-${start + batch.length}: MXNet answered ${answered.length} ` +
        `(${crashed.length} crashed it, ${nondeterministic.length} answered two ways, so far); running the backends`,
    );
    if (answered.length === 0) continue;
    const report = options.execute
      ? await options.execute(answered)
      : await runConformance({ backends: options.backends, suite: suiteOf(answered) });
    backends = report.backends;
    for (const r of report.results) results.push(r);
    for (const r of answered) answeredNames.push(r.name);
  }
  const report = { backends, results };

  const perLoss: Record<string, Record<string, Counts>> = {};
  for (const r of report.results) {
    const row = (perLoss[r.loss] ??= {});
    (row[r.backend] ??= emptyCounts())[r.status]++;
  }
  const coverage: Record<string, Record<string, number>> = {};
  for (const c of cases) {
    const row = (coverage[c.draw.loss] ??= {});
    for (const k of c.classes) row[k] = (row[k] ?? 0) + 1;
  }

  const findings: Finding[] = [];
  const minimized = new Set<string>();
  const limit = options.minimizeLimit ?? 12;
  for (const r of report.results) {
    if (r.status !== 'fail' && r.status !== 'error') continue;
    const drawn = byName.get(r.case)!;
    const signature = signatureOf(r);
    let min: Minimized | undefined;
    const backend = options.backends.find((b) => b.name === r.backend);
    if (backend !== undefined && !minimized.has(signature) && minimized.size < limit) {
      minimized.add(signature);
      progress(`minimizing ${r.case} on ${r.backend}: ${r.message ?? r.status}`);
      min = await minimize(drawn, backend, options.oracle);
    }
    findings.push({
      backend: r.backend,
      loss: r.loss,
      case: r.case,
      status: r.status,
      message: r.message ?? '',
      classes: drawn.classes,
      signature,
      ...(min ? { minimized: min } : {}),
    });
  }
  return {
    seed: options.seed,
    cases: cases.length,
    caseNames: answeredNames,
    backends: report.backends,
    oracleCrashes: crashed,
    mxnetNondeterministic: nondeterministic,
    perLoss,
    coverage,
    findings,
    seconds: (Date.now() - started) / 1000,
  };
}
