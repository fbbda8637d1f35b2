/**
 * Which backend may run which loss. Built-in backends: the table generated from the
 * conformance runs and shipped in this package (never re-run at start-up). A backend the
 * caller injects: only the losses the caller declares for it, as a conformance report of
 * that backend or as a list of loss names; it never inherits a built-in's row, even
 * under the same name.
 */
import { ConfigError, canonicalLossName, type CanonicalLossName, type Environment } from '@gluon-loss/spec';
import { GENERATED_ELIGIBILITY } from './eligibility.generated.js';
import { lossesPassedCompletely, type ConformanceReportLike, type EligibilityTable } from './eligibility-rule.js';

export const SHIPPED_ELIGIBILITY: EligibilityTable = GENERATED_ELIGIBILITY;

/** What a caller declares for an injected backend. */
export type DeclaredEligibility = ConformanceReportLike | readonly string[];

/** The losses a built-in backend may run in an environment, per a table. */
export function tableLosses(
  table: EligibilityTable,
  environment: Environment,
  backend: string,
): ReadonlySet<CanonicalLossName> {
  const row = table.environments[environment]?.[backend] ?? [];
  return new Set(row.map((l) => canonicalLossName(l)));
}

/**
 * The losses an injected backend may run: a report is read with the same rule as the
 * shipped table (every golden case of the loss passed); a list is taken as the caller's
 * word, each name checked (UnknownLossError for a typo).
 */
export function declaredLosses(
  backend: string,
  declared: DeclaredEligibility,
  goldenCases: Readonly<Record<string, number>>,
): ReadonlySet<CanonicalLossName> {
  if (Array.isArray(declared)) return new Set((declared as readonly string[]).map((l) => canonicalLossName(l)));
  if (!isReport(declared)) {
    // 'all', a single name, a Set: nothing makes a backend eligible but a report or a list.
    throw new ConfigError({
      loss: 'createRouter',
      argument: `backends[${backend}].eligibility`,
      expected: 'a conformance report that includes this backend, or an array of loss names',
      received: typeof declared === 'string' ? JSON.stringify(declared) : typeof declared,
    });
  }
  return new Set(lossesPassedCompletely(declared, backend, goldenCases));
}

function isReport(value: unknown): value is ConformanceReportLike {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<Record<keyof ConformanceReportLike, unknown>>;
  return (
    Array.isArray(r.backends) && Array.isArray(r.results) && typeof r.environment === 'object' && r.environment !== null
  );
}
