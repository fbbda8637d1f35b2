/**
 * Runs golden cases on backends. Works the same in Node and in a browser page: it takes
 * backends as values and a decoded suite, and returns a report.
 */
import type { GoldenCall, GoldenCase, GoldenError, GoldenSuite } from '@gluon-loss/golden';
import { canonicalLossName, parseConfig, type Backend, type CompiledLoss } from '@gluon-loss/spec';
import picomatch from 'picomatch';
import { compareTensor } from './compare.js';
import { summarize, type BackendStatus, type CaseResult, type ConformanceReport, type ErrorMetrics } from './report.js';
import { TOLERANCE_RULES, toleranceFor, type ToleranceRule } from './tolerances.js';

export interface RunOptions {
  readonly backends: readonly Backend[];
  readonly suite: GoldenSuite;
  /** Globs over case names; a glob without '/' selects losses (`CTCLoss` = `CTCLoss/*`). */
  readonly filter?: string | readonly string[];
  readonly tolerances?: readonly ToleranceRule[];
  /** Called after each case, for progress output. */
  readonly onResult?: (result: CaseResult) => void;
  /**
   * A probe, compile or call that takes longer counts as failed (unavailable or error) and
   * the run goes on: a hung device must not hang the suite. Default 120 s.
   */
  readonly timeoutMs?: number;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Settles with `promise`, or rejects with TimeoutError after `ms` (the promise itself cannot be cancelled). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function selectCases(suite: GoldenSuite, filter?: string | readonly string[]): GoldenCase[] {
  const globs = filter === undefined ? [] : typeof filter === 'string' ? [filter] : [...filter];
  if (globs.length === 0) return [...suite.cases];
  const matchers = globs.map((g) => picomatch(g.includes('/') ? g : `${g}/*`, { windows: false }));
  return suite.cases.filter((c) => matchers.some((m) => m(c.name)));
}

function errorKind(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { kind?: unknown }).kind === 'string'
    ? (e as { kind: string }).kind
    : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const INPUT_ERROR_KINDS = new Set(['input', 'shape', 'dtype']);

/** Compiled losses are shared by the cases of one (backend, loss, config), as an application would reuse them. */
class CompileCache {
  readonly #compiled = new Map<string, Promise<CompiledLoss>>();
  constructor(
    readonly backend: Backend,
    readonly timeoutMs: number,
  ) {}
  get(loss: string, config: Readonly<Record<string, unknown>>): Promise<CompiledLoss> {
    const key = `${loss}\u0000${JSON.stringify(config)}`;
    let p = this.#compiled.get(key);
    if (p === undefined) {
      p = withTimeout(this.backend.compile(loss, config), this.timeoutMs, `${this.backend.name} compile of ${loss}`);
      this.#compiled.set(key, p);
    }
    return p;
  }
  async dispose(): Promise<void> {
    for (const p of this.#compiled.values()) {
      try {
        (await p).dispose();
      } catch {
        // a compile that failed holds nothing to free
      }
    }
    this.#compiled.clear();
  }
}

async function runCall(
  backend: Backend,
  cache: CompileCache,
  c: GoldenCall,
  rules: readonly ToleranceRule[],
): Promise<CaseResult> {
  const loss = canonicalLossName(c.loss);
  const base = { backend: backend.name, loss, case: c.name, kind: 'call' as const };
  const tol = toleranceFor(c.name, backend.name, rules);
  let stage = 'supports';
  try {
    const support = backend.supports(loss, parseConfig(loss, c.config));
    if (!support.supported) {
      return {
        ...base,
        status: 'unsupported',
        forwardPass: null,
        gradPass: null,
        forward: null,
        grads: {},
        message: support.reason,
      };
    }
    stage = 'compile';
    const compiled = await cache.get(c.loss, c.config);
    stage = 'forward';
    const fwd = await withTimeout(compiled.forward(c.inputs), cache.timeoutMs, 'forward');
    const fwdCmp = compareTensor(fwd.loss, c.expectedLoss, tol, c.ref64?.loss);
    stage = 'forwardBackward';
    const fb = await withTimeout(
      compiled.forwardBackward(c.inputs, c.headGradDefault ? undefined : c.headGrad),
      cache.timeoutMs,
      'forwardBackward',
    );
    const fbCmp = compareTensor(fb.loss, c.expectedLoss, tol, c.ref64?.loss);
    const messages: string[] = [];
    if (!fwdCmp.ok) messages.push(`forward loss: ${fwdCmp.mismatch}`);
    if (!fbCmp.ok) messages.push(`forwardBackward loss: ${fbCmp.mismatch}`);
    const grads: Record<string, ErrorMetrics> = {};
    let gradPass = true;
    for (const [name, want] of Object.entries(c.expectedGrads)) {
      const cmp = compareTensor(fb.grads[name], want, tol, c.ref64?.grads[name]);
      grads[name] = { maxAbsErr: cmp.maxAbsErr, maxRelErr: cmp.maxRelErr };
      if (!cmp.ok) {
        gradPass = false;
        messages.push(`grad ${name}: ${cmp.mismatch}`);
      }
    }
    for (const name of Object.keys(fb.grads)) {
      if (!(name in c.expectedGrads)) {
        gradPass = false;
        messages.push(`grad ${name}: returned, but MXNet gives no gradient for it`);
      }
    }
    const forwardPass = fwdCmp.ok && fbCmp.ok;
    return {
      ...base,
      rule: fwdCmp.rule,
      status: forwardPass && gradPass ? 'pass' : 'fail',
      forwardPass,
      gradPass,
      forward: { maxAbsErr: fwdCmp.maxAbsErr, maxRelErr: fwdCmp.maxRelErr },
      grads,
      ...(messages.length > 0 ? { message: `${messages.join('; ')}; case: ${describeCase(c)}` } : {}),
    };
  } catch (e) {
    const kind = errorKind(e);
    const status = kind === 'unsupported' ? 'unsupported' : 'error';
    return {
      ...base,
      status,
      forwardPass: null,
      gradPass: null,
      forward: null,
      grads: {},
      message: `${stage}: ${describe(e)}`,
    };
  }
}

async function runRejection(backend: Backend, cache: CompileCache, c: GoldenError): Promise<CaseResult> {
  const base = { backend: backend.name, loss: canonicalLossName(c.loss), case: c.name, kind: 'rejection' as const };
  const verdict = (ok: boolean, message: string): CaseResult => ({
    ...base,
    status: ok ? 'pass' : 'fail',
    forwardPass: ok,
    gradPass: null,
    forward: null,
    grads: {},
    ...(ok ? {} : { message }),
  });
  let compiled: CompiledLoss;
  try {
    compiled = await cache.get(c.loss, c.config);
  } catch (e) {
    const kind = errorKind(e);
    if (c.errorKind === 'config') return verdict(kind === 'config', `expected a ConfigError, got ${describe(e)}`);
    if (kind === 'unsupported') {
      return {
        ...base,
        status: 'unsupported',
        forwardPass: null,
        gradPass: null,
        forward: null,
        grads: {},
        message: describe(e),
      };
    }
    return verdict(false, `compile: expected success (MXNet rejects the call, not the config), got ${describe(e)}`);
  }
  if (c.errorKind === 'config')
    return verdict(false, `expected a ConfigError from compile (MXNet: ${c.mxnetMessage}); it compiled`);
  const rejected = async (call: () => Promise<unknown>, what: string): Promise<string | undefined> => {
    try {
      await withTimeout(call(), cache.timeoutMs, what);
      return `${what}: expected an InputError (MXNet: ${c.mxnetMessage}); it returned a result`;
    } catch (e) {
      return INPUT_ERROR_KINDS.has(errorKind(e) ?? '')
        ? undefined
        : `${what}: expected an InputError, got ${describe(e)}`;
    }
  };
  const problem =
    (await rejected(() => compiled.forward(c.inputs), 'forward')) ??
    (await rejected(
      () => compiled.forwardBackward(c.inputs, { data: new Float32Array(1), shape: [1] }),
      'forwardBackward',
    ));
  return verdict(problem === undefined, problem ?? '');
}

function runtimeDescription(): ConformanceReport['environment'] {
  const g = globalThis as { process?: { versions?: { node?: string } }; navigator?: { userAgent?: string } };
  if (g.process?.versions?.node) return { runtime: `node ${g.process.versions.node}` };
  return { runtime: 'browser', ...(g.navigator?.userAgent ? { userAgent: g.navigator.userAgent } : {}) };
}

/** Probes each backend, runs the selected cases on the available ones, and reports. */
export async function runConformance(options: RunOptions): Promise<ConformanceReport> {
  const cases = selectCases(options.suite, options.filter);
  const rules = options.tolerances ?? TOLERANCE_RULES;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const statuses: BackendStatus[] = [];
  const results: CaseResult[] = [];
  for (const backend of options.backends) {
    let availability;
    try {
      availability = await withTimeout(backend.probe(), timeoutMs, `${backend.name} probe`);
    } catch (e) {
      availability = { available: false as const, reason: `probe threw: ${describe(e)}` };
    }
    statuses.push(
      availability.available
        ? { name: backend.name, available: true }
        : { name: backend.name, available: false, reason: availability.reason },
    );
    if (!availability.available) continue;
    const cache = new CompileCache(backend, timeoutMs);
    try {
      for (const c of cases) {
        const result =
          c.kind === 'call' ? await runCall(backend, cache, c, rules) : await runRejection(backend, cache, c);
        results.push(result);
        options.onResult?.(result);
      }
    } finally {
      await cache.dispose();
    }
  }
  return {
    reference: { mxnet: options.suite.reference.mxnet ?? 'unknown' },
    environment: runtimeDescription(),
    backends: statuses,
    results,
    summary: summarize(statuses, results),
  };
}

/** A case's shapes and config, for a failure message. */
function describeCase(c: GoldenCall): string {
  const shapes = Object.entries(c.inputs).map(([name, v]) =>
    typeof v === 'object' && v !== null && 'shape' in v ? `${name} [${v.shape.join(', ')}]` : `${name} ${String(v)}`,
  );
  return `${shapes.join(', ')}; config ${JSON.stringify(c.config)}`;
}
