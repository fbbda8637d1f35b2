/**
 * A decision: which backend runs a (loss, config, shape bucket, mode) under a policy, and
 * what it rests on. Decisions are cached per router, and export to / import from a JSON
 * string, so an application can time once (on a build machine, or its users' first
 * session) and ship the result. An imported decision is used only while its backend is
 * still eligible and available here; otherwise the router decides again.
 */
import { GluonLossError, canonicalLossName, type CanonicalLossName, type Environment } from '@gluon-loss/spec';
import type { CandidateTiming } from './calibration.js';

export type CallMode = 'forward' | 'forwardBackward';

/**
 * - `fastest`: timed; the lowest median won.
 * - `prefer`, `only`: the policy named the backend, no timing.
 * - `single`: one eligible backend is available here, nothing to compare.
 * - `fallback`: the decided backend failed on a call; this one completed it.
 */
export type DecisionRule = 'fastest' | 'prefer' | 'only' | 'single' | 'fallback';

export interface Decision {
  readonly loss: CanonicalLossName;
  /** The parsed config, as canonical JSON. */
  readonly config: string;
  readonly bucket: string;
  readonly mode: CallMode;
  readonly policy: string;
  readonly environment: Environment;
  readonly backend: string;
  /** The backends to try, in order, when `backend` fails. */
  readonly fallbacks: readonly string[];
  readonly rule: DecisionRule;
  /** One sentence: why this backend. */
  readonly reason: string;
  /** The candidates' times this decision was made from (empty when not timed). */
  readonly timings: readonly CandidateTiming[];
  /** 'imported' when it came from `importDecisions` and has not been re-decided here. */
  readonly source: 'decided' | 'imported';
}

export const DECISIONS_FORMAT = 'gluon-loss-decisions';
export const DECISIONS_FORMAT_VERSION = 1;

/** The cache key of a decision. */
export function decisionKey(loss: string, config: string, bucket: string, mode: CallMode, policy: string): string {
  return `${loss}\u0000${config}\u0000${bucket}\u0000${mode}\u0000${policy}`;
}

export function keyOf(d: Decision): string {
  return decisionKey(d.loss, d.config, d.bucket, d.mode, d.policy);
}

/** The canonical JSON of a parsed config: its keys sorted, so equal configs give equal keys. */
export function configKey(config: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(config)
        .sort()
        .map((k) => [k, config[k]]),
    ),
  );
}

export function serializeDecisions(decisions: Iterable<Decision>, environment: Environment): string {
  const list = [...decisions].map(({ source: _source, ...rest }) => rest);
  return JSON.stringify(
    { format: DECISIONS_FORMAT, formatVersion: DECISIONS_FORMAT_VERSION, environment, decisions: list },
    null,
    1,
  );
}

/** Thrown by `importDecisions` for text that is not an export of this format. */
export class DecisionsFormatError extends GluonLossError {
  readonly kind = 'input';
  constructor(detail: string) {
    super(`not a gluon-loss decisions export: ${detail}`, {
      argument: 'decisions',
      expected: `a ${DECISIONS_FORMAT} export, format version ${DECISIONS_FORMAT_VERSION}`,
      received: detail,
    });
  }
}

const MODES: readonly string[] = ['forward', 'forwardBackward'];
const RULES: readonly string[] = ['fastest', 'prefer', 'only', 'single', 'fallback'];

function field<T>(o: Record<string, unknown>, name: string, ok: (v: unknown) => boolean, where: string): T {
  const v = o[name];
  if (!ok(v)) throw new DecisionsFormatError(`${where}.${name} is missing or malformed`);
  return v as T;
}

const isString = (v: unknown): boolean => typeof v === 'string';
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

/** Parses an export; every decision is checked field by field, and marked imported. */
export function parseDecisions(json: string): Decision[] {
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (e) {
    throw new DecisionsFormatError(`invalid JSON (${(e as Error).message})`);
  }
  if (typeof root !== 'object' || root === null) throw new DecisionsFormatError('not an object');
  const r = root as Record<string, unknown>;
  if (r.format !== DECISIONS_FORMAT) throw new DecisionsFormatError(`format is ${JSON.stringify(r.format)}`);
  if (r.formatVersion !== DECISIONS_FORMAT_VERSION) {
    throw new DecisionsFormatError(
      `format version ${String(r.formatVersion)}, this version reads ${DECISIONS_FORMAT_VERSION}`,
    );
  }
  if (!Array.isArray(r.decisions)) throw new DecisionsFormatError('decisions is not an array');
  return r.decisions.map((raw: unknown, i): Decision => {
    const where = `decisions[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new DecisionsFormatError(`${where} is not an object`);
    const o = raw as Record<string, unknown>;
    const lossName = field<string>(o, 'loss', isString, where);
    let loss: CanonicalLossName;
    try {
      loss = canonicalLossName(lossName);
    } catch {
      throw new DecisionsFormatError(`${where}.loss ${JSON.stringify(lossName)} is not a loss`);
    }
    return {
      loss,
      config: field(o, 'config', isString, where),
      bucket: field(o, 'bucket', isString, where),
      mode: field(o, 'mode', (v) => MODES.includes(v as string), where),
      policy: field(o, 'policy', isString, where),
      environment: field(o, 'environment', (v) => v === 'node' || v === 'browser', where),
      backend: field(o, 'backend', isString, where),
      fallbacks: field(o, 'fallbacks', isStringArray, where),
      rule: field(o, 'rule', (v) => RULES.includes(v as string), where),
      reason: field(o, 'reason', isString, where),
      timings: field(o, 'timings', Array.isArray, where),
      source: 'imported',
    };
  });
}
