/**
 * Timing the eligible backends on the caller's real call, and the decision rule.
 *
 * Each candidate is loaded and probed (once per process), compiled for the config (once
 * per routed loss), then called on the real inputs: the first call is timed on its own
 * (graph or shader compilation, wasm warm-up, first upload) and kept apart, then `runs`
 * more calls are timed, each from the call to the result in JavaScript memory, so
 * uploads and read-backs are included. The decision compares the medians of those runs:
 * a decision is made for the many calls that follow, which pay neither the compile nor
 * the first-call cost again. Ties go to the earlier candidate (the preference order).
 * Small calls get more runs (until the runs add up to `minTimedMs`), large ones `runs`.
 *
 * A candidate whose first timed run is already `pruneFactor` times slower than the best
 * median so far is not run again (tfjs-cpu on a million elements costs seconds a run);
 * its one run stands as its median. The clock is injectable, so the rule is tested with
 * made-up times rather than by timing real backends.
 */
import { describeError, isCallerError } from './errors.js';

export type Clock = () => number;

export interface CalibrationSettings {
  /** Timed calls per candidate after its first call, at least (default 3). */
  readonly runs: number;
  /**
   * Keep timing a candidate until its runs add up to this many ms (default 2), up to
   * `maxRuns`: a call of a few microseconds needs more than three runs for a median that
   * is not JIT noise, and costs nothing to repeat.
   */
  readonly minTimedMs: number;
  /** The most timed calls per candidate (default 30). */
  readonly maxRuns: number;
  /** Stop timing a candidate whose first timed call is this many times the best median so far (default 4). */
  readonly pruneFactor: number;
  /**
   * A timed run repeats the call until it spans this many ms and reports the time per
   * call (default 0 in Node; 1 in a browser, whose clock is coarsened to 0.1 ms or worse:
   * a 20 us call would otherwise time as 0 or 0.1 ms).
   */
  readonly minRunMs: number;
}

export const DEFAULT_CALIBRATION: CalibrationSettings = {
  runs: 3,
  minTimedMs: 2,
  maxRuns: 30,
  pruneFactor: 4,
  minRunMs: 0,
};

/** The most calls one timed run repeats to reach `minRunMs`. */
const MAX_REPEATS = 1000;

export type TimingStatus = 'timed' | 'pruned' | 'skipped' | 'unavailable' | 'unsupported' | 'failed';

export interface CandidateTiming {
  readonly backend: string;
  /**
   * timed: every run done; pruned: stopped after one run, clearly slower; skipped: not
   * loaded or run, by the cost model (see cost-model.ts); the rest: no result.
   */
  readonly status: TimingStatus;
  /** Loading and probing the backend; null when it was already loaded in this process. */
  readonly loadMs: number | null;
  /** `backend.compile` for this config; null when this routed loss had compiled it before. */
  readonly compileMs: number | null;
  /** The first call on this shape bucket, kept apart from the runs. */
  readonly firstCallMs: number | null;
  /** The timed calls after the first. */
  readonly runsMs: readonly number[];
  /** The median of `runsMs`: what the rule compares, unless there is a prediction. */
  readonly medianMs: number | null;
  /** Timed on a proxy: the real call's predicted ms (see cost-model.ts), which the rule compares instead. */
  readonly predictedMs?: number;
  /** Why it has no time (unavailable, unsupported, failed), or why it was pruned. */
  readonly reason?: string;
}

/** A backend made ready to run the call, or the reason it cannot. */
export type Prepared<R> =
  | { readonly ok: true; readonly loadMs: number | null; readonly compileMs: number | null; call(): Promise<R> }
  | {
      readonly ok: false;
      readonly status: 'unavailable' | 'unsupported' | 'failed';
      readonly reason: string;
      readonly loadMs: number | null;
      readonly compileMs: number | null;
    };

export interface Contender<R> {
  readonly backend: string;
  prepare(): Promise<Prepared<R>>;
}

export interface CalibrationOutcome<R> {
  /** One entry per contender, in the order given. */
  readonly timings: readonly CandidateTiming[];
  /** The backends that gave a time, fastest first: the winner, then the fallbacks. */
  readonly ranking: readonly string[];
  /** The winner's result of its last run (the caller's answer), if any backend ran. */
  readonly result?: R;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What the rule compares for a timing: its predicted real call when timed on a proxy, else its median. */
export function scoreOf(t: CandidateTiming): number | null {
  return t.predictedMs ?? t.medianMs;
}

/** The decision rule: backends with a time, by score (median or prediction), ties kept in candidate order. */
export function rankByMedian(timings: readonly CandidateTiming[]): string[] {
  return timings
    .map((t, order) => ({ t, order, score: scoreOf(t) }))
    .filter(({ t, score }) => score !== null && (t.status === 'timed' || t.status === 'pruned'))
    .sort((a, b) => a.score! - b.score! || a.order - b.order)
    .map(({ t }) => t.backend);
}

/** How a large bucket's calibration is steered by the cost model (cost-model.ts). */
export interface CalibrationHooks {
  /** Before a contender is prepared: undefined to time it, or why it is skipped. */
  admit?(
    backend: string,
    best: { readonly backend: string; readonly predictedMs: number } | undefined,
  ): string | undefined;
  /** A timed contender's predicted real call from its runs (the first call alone when there were none). */
  predict?(backend: string, runsMs: readonly number[]): number;
}

/**
 * Times each contender on the call and returns the timings, the ranking and the winner's
 * result. A caller error (bad input) is thrown unchanged; any other error drops that
 * contender (reported through `onFault` and in its timing) and the others go on.
 */
export async function timeContenders<R>(
  contenders: readonly Contender<R>[],
  clock: Clock,
  settings: CalibrationSettings,
  onFault: (backend: string, error: unknown) => void,
  hooks: CalibrationHooks = {},
): Promise<CalibrationOutcome<R>> {
  const timings: CandidateTiming[] = [];
  // The best median prunes (runs on the same inputs compare); the best score decides.
  let best: { backend: string; medianMs: number; score: number; result: R } | undefined;
  for (const contender of contenders) {
    const skip = hooks.admit?.(
      contender.backend,
      best === undefined ? undefined : { backend: best.backend, predictedMs: best.score },
    );
    if (skip !== undefined) {
      timings.push(noTime(contender.backend, 'skipped', skip));
      continue;
    }
    const prepared = await contender.prepare();
    if (!prepared.ok) {
      timings.push({
        ...noTime(contender.backend, prepared.status, prepared.reason),
        loadMs: prepared.loadMs,
        compileMs: prepared.compileMs,
      });
      continue;
    }
    let firstCallMs: number | null = null;
    const runsMs: number[] = [];
    let result: R;
    let pruned = false;
    try {
      let start = clock();
      result = await prepared.call();
      firstCallMs = clock() - start;
      let spent = 0;
      for (let i = 0; i < settings.runs || (i < settings.maxRuns && spent < settings.minTimedMs); i++) {
        start = clock();
        let repeats = 0;
        let elapsed: number;
        do {
          result = await prepared.call();
          repeats++;
          elapsed = clock() - start;
        } while (elapsed < settings.minRunMs && repeats < MAX_REPEATS);
        runsMs.push(elapsed / repeats);
        spent += runsMs[i]!;
        if (i === 0 && best !== undefined && runsMs[0]! > settings.pruneFactor * best.medianMs) {
          pruned = true;
          break;
        }
      }
    } catch (e) {
      if (isCallerError(e)) throw e;
      onFault(contender.backend, e);
      timings.push({
        ...noTime(contender.backend, 'failed', describeError(e)),
        loadMs: prepared.loadMs,
        compileMs: prepared.compileMs,
        firstCallMs,
        runsMs,
      });
      continue;
    }
    // With runs = 0 the first call is all there is to compare.
    const medianMs = runsMs.length > 0 ? median(runsMs) : firstCallMs;
    const predictedMs = hooks.predict?.(contender.backend, runsMs.length > 0 ? runsMs : [firstCallMs!]);
    const score = predictedMs ?? medianMs;
    timings.push({
      backend: contender.backend,
      status: pruned ? 'pruned' : 'timed',
      loadMs: prepared.loadMs,
      compileMs: prepared.compileMs,
      firstCallMs,
      runsMs,
      medianMs,
      ...(predictedMs !== undefined ? { predictedMs } : {}),
      ...(pruned
        ? { reason: `its first run took more than ${settings.pruneFactor}x the best median so far (${best!.backend})` }
        : {}),
    });
    if (best === undefined || score < best.score) best = { backend: contender.backend, medianMs, score, result };
  }
  return { timings, ranking: rankByMedian(timings), ...(best !== undefined ? { result: best.result } : {}) };
}

function noTime(backend: string, status: TimingStatus, reason: string): CandidateTiming {
  return { backend, status, loadMs: null, compileMs: null, firstCallMs: null, runsMs: [], medianMs: null, reason };
}
