/**
 * The disagreements of the CI sample that are known and not yet fixed, by (backend, case):
 * a ratchet. A run against the list fails on any disagreement that is not on it (a
 * regression, or a new input class) and names every entry that now passes (a fix: take it
 * off). The list only shrinks; issue 9 is done when it is empty.
 */
import type { Finding } from './differential.js';

export interface OpenDisagreement {
  readonly backend: string;
  readonly case: string;
}

export interface OpenListCheck {
  /** Findings the list does not hold. */
  readonly unexpected: readonly Finding[];
  /** Entries of the list that the run did not find (fixed, or the case was not run). */
  readonly stale: readonly OpenDisagreement[];
}

const key = (backend: string, name: string) => `${backend}\u0000${name}`;

/** Compares a run's findings with the list; entries of backends or cases not run are ignored. */
export function checkOpenList(
  findings: readonly Finding[],
  open: readonly OpenDisagreement[],
  ran: { readonly backends: ReadonlySet<string>; readonly cases: ReadonlySet<string> },
): OpenListCheck {
  const listed = new Set(open.map((o) => key(o.backend, o.case)));
  const found = new Set(findings.map((f) => key(f.backend, f.case)));
  return {
    unexpected: findings.filter((f) => !listed.has(key(f.backend, f.case))),
    stale: open.filter(
      (o) => ran.backends.has(o.backend) && ran.cases.has(o.case) && !found.has(key(o.backend, o.case)),
    ),
  };
}

export function openListOf(findings: readonly Finding[]): OpenDisagreement[] {
  return findings
    .map((f) => ({ backend: f.backend, case: f.case }))
    .sort((a, b) => a.backend.localeCompare(b.backend) || a.case.localeCompare(b.case, 'en', { numeric: true }));
}
