/** The one-sentence reason a decision carries (and explain() shows). */
import type { CandidateTiming } from './calibration.js';
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
        const best = timed.find((t) => t.backend === f.backend)?.medianMs ?? null;
        const list = timed
          .slice()
          .sort((a, b) => a.medianMs! - b.medianMs!)
          .map((t) => {
            const ratio =
              best !== null && best > 0 && t.backend !== f.backend ? ` (${(t.medianMs! / best).toFixed(1)}x)` : '';
            return `${t.backend} ${formatMs(t.medianMs!)}${ratio}${t.status === 'pruned' ? ' pruned' : ''}`;
          });
        parts.push(`fastest median of ${timed.length} timed: ${list.join(', ')}`);
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
