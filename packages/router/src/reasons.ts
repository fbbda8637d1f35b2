/** The one-sentence reason a decision carries (and explain() shows). */
import { scoreOf, type CandidateTiming } from './calibration.js';
import type { DecisionRule } from './decisions.js';
import type { BackendAttempt } from './errors.js';

export interface ReasonFacts {
  readonly rule: DecisionRule;
  readonly backend: string;
  readonly policy: string;
  /** Something said before the decision (an imported decision that did not hold, a preferred backend that failed). */
  readonly note?: string | undefined;
  readonly timings?: readonly CandidateTiming[];
  /** Candidates that could not be run. */
  readonly unavailable?: readonly BackendAttempt[];
}

function formatMs(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(2)} ms` : `${v.toPrecision(2)} ms`;
}

export function formatDecisionReason(f: ReasonFacts): string {
  const parts: string[] = [];
  if (f.note) parts.push(f.note);
  switch (f.rule) {
    case 'fastest':
    case 'single': {
      const timed = (f.timings ?? []).filter((t) => t.medianMs !== null);
      if (f.rule === 'single' && timed.length <= 1) {
        parts.push(`${f.backend} is the only eligible backend that ran it here`);
      } else {
        // Timed on a proxy, the rule compares each backend's predicted real call (cost-model.ts).
        const predicted = timed.some((t) => t.predictedMs !== undefined);
        const score = (t: CandidateTiming): number => scoreOf(t)!;
        const winner = timed.find((t) => t.backend === f.backend);
        const best = winner === undefined ? null : score(winner);
        const list = timed
          .slice()
          .sort((a, b) => score(a) - score(b))
          .map((t) => {
            const ratio =
              best !== null && best > 0 && t.backend !== f.backend ? ` (${(score(t) / best).toFixed(1)}x)` : '';
            const value = predicted
              ? `${formatMs(score(t))} (proxy median ${formatMs(t.medianMs!)})`
              : formatMs(score(t));
            return `${t.backend} ${value}${ratio}${t.status === 'pruned' ? ' pruned' : ''}`;
          });
        parts.push(`fastest ${predicted ? 'predicted call' : 'median'} of ${timed.length} timed: ${list.join(', ')}`);
      }
      const failed = (f.timings ?? []).filter((t) => t.medianMs === null);
      if (failed.length > 0)
        parts.push(`no time for ${failed.map((t) => `${t.backend} (${t.status}: ${t.reason ?? ''})`).join(', ')}`);
      break;
    }
    case 'prefer':
    case 'only':
      parts.push(`policy ${f.policy} names ${f.backend}; not timed`);
      break;
    case 'fallback':
      parts.push(`${f.backend} took over after a fault`);
      break;
  }
  const unavailable = (f.unavailable ?? []).filter((a) => a.stage === 'unavailable');
  if (unavailable.length > 0) parts.push(`unavailable here: ${unavailable.map((a) => a.backend).join(', ')}`);
  return parts.join('; ');
}
