/**
 * How a caller overrides the timing: `fastest` (the default) times the eligible backends;
 * `prefer:<backend>` runs that one while it is eligible, available and working, and times
 * the others only when it is not; `only:<backend>` never runs another. A policy never
 * makes a backend eligible: the conformance table has the last word.
 */
import { ConfigError } from '@gluon-loss/spec';

export type Policy = 'fastest' | `prefer:${string}` | `only:${string}`;

export type ParsedPolicy =
  { readonly kind: 'fastest' } | { readonly kind: 'prefer' | 'only'; readonly backend: string };

const EXPECTED = "'fastest', 'prefer:<backend>' or 'only:<backend>'";

/** Parses a policy string; a malformed one is a ConfigError on the `policy` argument. */
export function parsePolicy(loss: string, policy: unknown): ParsedPolicy {
  if (policy === undefined || policy === 'fastest') return { kind: 'fastest' };
  if (typeof policy === 'string') {
    const match = /^(prefer|only):([A-Za-z0-9][\w.-]*)$/.exec(policy);
    if (match !== null) return { kind: match[1] as 'prefer' | 'only', backend: match[2]! };
  }
  throw new ConfigError({
    loss,
    argument: 'policy',
    expected: EXPECTED,
    received: typeof policy === 'string' ? JSON.stringify(policy) : typeof policy,
  });
}

export function formatPolicy(policy: ParsedPolicy): Policy {
  return policy.kind === 'fastest' ? 'fastest' : `${policy.kind}:${policy.backend}`;
}
