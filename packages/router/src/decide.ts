/**
 * The decision, as a pure function: which backend runs a bucket, given the available
 * candidates (in preference order), the policy, and the timings calibration measured
 * (none when nothing was timed). No clock, no backend, no I/O: the rule is tested on
 * made-up timings. `planDecision` says what the router must do before it can decide
 * (nothing to time, or time the candidates); `decide` turns the outcome into the
 * decision's core; `fallbackDecision` is the decision that replaces one whose backend
 * failed on a call.
 */
import type { CandidateTiming } from './calibration.js';
import { rankByMedian } from './calibration.js';
import type { Decision, DecisionRule } from './decisions.js';
import type { BackendAttempt } from './errors.js';
import type { ParsedPolicy } from './policy.js';
import { formatDecisionReason } from './reasons.js';

/** The parts of a Decision that the rule decides (the rest names the bucket). */
export type DecisionCore = Pick<Decision, 'backend' | 'fallbacks' | 'rule' | 'reason' | 'timings'>;

export type DecisionPlan =
  /** The policy names a backend that is a candidate: run it, untimed. */
  | { readonly kind: 'named'; readonly backend: string; readonly rule: 'prefer' | 'only' }
  /** One candidate: nothing to compare. */
  | { readonly kind: 'single'; readonly backend: string }
  /** Time these candidates. */
  | { readonly kind: 'time'; readonly candidates: readonly string[] }
  | { readonly kind: 'none' };

/** What to do for a bucket with these available candidates under this policy. */
export function planDecision(policy: ParsedPolicy, available: readonly string[]): DecisionPlan {
  if (available.length === 0) return { kind: 'none' };
  if (policy.kind !== 'fastest' && available[0] === policy.backend)
    return { kind: 'named', backend: policy.backend, rule: policy.kind };
  if (available.length === 1) return { kind: 'single', backend: available[0]! };
  return { kind: 'time', candidates: available };
}

export interface DecideFacts {
  /** The policy as written (`prefer:ts`), for the reason. */
  readonly policyName: string;
  /** Something said before deciding (an import that did not hold, a preferred backend that failed). */
  readonly note?: string | undefined;
  /** Candidates that could not run, for the reason. */
  readonly unavailable?: readonly BackendAttempt[];
  /** How the candidates were timed when not on the caller's inputs (a proxy), for the reason. */
  readonly timedOn?: string | undefined;
}

/**
 * The decision for a bucket: with a policy-named backend (`rule` prefer/only), the
 * candidates after it are its fallbacks; with one candidate, `single`; otherwise the
 * lowest median of `timings` wins (ties by candidate order) and the other timed ones are
 * its fallbacks. Undefined when no candidate has a time.
 */
export function decide(
  candidates: readonly string[],
  policy: ParsedPolicy,
  timings: readonly CandidateTiming[],
  facts: DecideFacts,
): DecisionCore | undefined {
  const plan = planDecision(policy, candidates);
  const note = [facts.note, facts.timedOn].filter(Boolean).join('; ') || undefined;
  if (plan.kind === 'named' || plan.kind === 'single') {
    const rule: DecisionRule = plan.kind === 'named' ? plan.rule : 'single';
    return {
      backend: plan.backend,
      fallbacks: candidates.filter((b) => b !== plan.backend),
      rule,
      reason: formatDecisionReason({
        rule,
        backend: plan.backend,
        policy: facts.policyName,
        note: facts.note,
        ...(facts.unavailable !== undefined ? { unavailable: facts.unavailable } : {}),
      }),
      timings: [],
    };
  }
  const ranking = rankByMedian(timings);
  const winner = ranking[0];
  if (winner === undefined) return undefined;
  const rule: DecisionRule = ranking.length === 1 ? 'single' : 'fastest';
  return {
    backend: winner,
    fallbacks: ranking.slice(1),
    rule,
    reason: formatDecisionReason({
      rule,
      backend: winner,
      policy: facts.policyName,
      note,
      timings,
      ...(facts.unavailable !== undefined ? { unavailable: facts.unavailable } : {}),
    }),
    timings,
  };
}

/**
 * The decision after `failed` could not complete a call and `backend` did: it runs the
 * bucket from now on; `rest` (the candidates not tried yet) then the failed ones still
 * usable follow as fallbacks, so a transient fault does not ban a backend for good.
 */
export function fallbackDecision(
  previous: Decision,
  backend: string,
  rest: readonly string[],
  failed: readonly string[],
  stillUsable: readonly string[],
  attempts: readonly BackendAttempt[],
): DecisionCore {
  return {
    backend,
    fallbacks: [...rest, ...stillUsable],
    rule: 'fallback',
    reason: `${failed.join(', ')} failed on a call (${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}); ${backend} completed it and runs this bucket from now on (was: ${previous.reason})`,
    timings: previous.timings,
  };
}
