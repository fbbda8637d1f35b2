/**
 * A loss bound to a config, routed per call. Every call is validated by the spec first
 * (so a bad input throws the spec's error before any backend is loaded), then its shape
 * bucket and mode pick a route: a compiled loss on the backend decided for them. A known
 * route costs a map lookup; the first call of a bucket decides (see calibration.ts); a
 * call that fails on its backend is re-run on the next one (see `#fallBack`).
 */
import {
  DisposedError,
  checkHeadGrad,
  planCall,
  type CanonicalLossName,
  type CompiledLoss,
  type Environment,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type LossInputs,
} from '@gluon-loss/spec';
import type { BackendPool } from './backend-pool.js';
import { timeContenders, type CalibrationSettings, type Clock, type Contender, type Prepared } from './calibration.js';
import { decisionKey, type CallMode, type Decision } from './decisions.js';
import { AllBackendsFailedError, describeError, isBackendLost, isCallerError, type BackendAttempt } from './errors.js';
import { formatExplanation, type Explanation, type FaultRecord, type RouteExplanation } from './explanation.js';
import type { ParsedPolicy, Policy } from './policy.js';
import { shapeBucket } from './shape-bucket.js';
import { formatDecisionReason } from './reasons.js';

/** What a routed loss shares with its router. */
export interface RouterContext {
  readonly environment: Environment;
  readonly pool: BackendPool;
  readonly clock: Clock;
  readonly calibration: CalibrationSettings;
  readonly decisions: Map<string, Decision>;
  /** Decisions being made now, so two losses with one key do not both time it. */
  readonly pending: Map<string, Promise<unknown>>;
  readonly eligibilitySource: string;
}

export interface RoutedLossSetup {
  readonly loss: CanonicalLossName;
  readonly config: Readonly<Record<string, unknown>>;
  readonly configKey: string;
  readonly policy: ParsedPolicy;
  readonly policyName: Policy;
  /** Eligible backends the policy allows, in preference order. */
  readonly candidates: readonly string[];
  /** Every other backend, with why it is not a candidate. */
  readonly excluded: readonly BackendAttempt[];
}

interface Route {
  readonly mode: CallMode;
  readonly bucket: string;
  readonly backend: string;
  readonly compiled: CompiledLoss;
  readonly decision: Decision;
  calls: number;
}

type Result = ForwardResult | ForwardBackwardResult;

/** The call a route makes: the spec's two methods behind one signature. */
function invoke(
  compiled: CompiledLoss,
  mode: CallMode,
  inputs: LossInputs,
  headGrad: FloatTensor | undefined,
): Promise<Result> {
  return mode === 'forward' ? compiled.forward(inputs) : compiled.forwardBackward(inputs, headGrad!);
}

const NO_FALLBACK: readonly string[] = Object.freeze([]);

export class RoutedLoss {
  readonly loss: CanonicalLossName;
  /** The parsed config, MXNet's defaults filled in. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly policy: Policy;
  readonly #ctx: RouterContext;
  readonly #setup: RoutedLossSetup;
  /** `f` or `b` + bucket → route. */
  readonly #routes = new Map<string, Route>();
  /** Backend → its compiled loss for this config, compiled on first need. */
  readonly #compiled = new Map<string, Promise<CompiledLoss>>();
  readonly #faults: (FaultRecord & { recoveredBy: string | null })[] = [];
  #calls = 0;
  #lastRoute: Route | undefined;
  #lastCall = 0;
  #lastFellBackFrom: readonly string[] = NO_FALLBACK;
  #disposed = false;

  /** @internal Made by `Router.createLoss`. */
  constructor(ctx: RouterContext, setup: RoutedLossSetup) {
    this.#ctx = ctx;
    this.#setup = setup;
    this.loss = setup.loss;
    this.config = setup.config;
    this.policy = setup.policyName;
  }

  forward(inputs: LossInputs): Promise<ForwardResult> {
    return this.#call('forward', inputs, undefined);
  }

  forwardBackward(inputs: LossInputs, headGrad?: FloatTensor): Promise<ForwardBackwardResult> {
    return this.#call('forwardBackward', inputs, headGrad) as Promise<ForwardBackwardResult>;
  }

  /** Which backend ran, why, the times it decided on, and the faults. */
  explain(): Explanation {
    const last = this.#lastRoute;
    return {
      loss: this.loss,
      config: this.config,
      policy: this.policy,
      environment: this.#ctx.environment,
      backend: last?.backend ?? null,
      lastCall:
        last === undefined
          ? null
          : {
              call: this.#lastCall,
              mode: last.mode,
              bucket: last.bucket,
              backend: last.backend,
              fellBackFrom: [...this.#lastFellBackFrom],
            },
      calls: this.#calls,
      eligibility: {
        source: this.#ctx.eligibilitySource,
        candidates: [...this.#setup.candidates],
        excluded: [...this.#setup.excluded],
      },
      availability: this.#ctx.pool.availability(),
      routes: [...this.#routes.values()].map((r): RouteExplanation => ({
        mode: r.mode,
        bucket: r.bucket,
        backend: r.backend,
        rule: r.decision.rule,
        reason: r.decision.reason,
        source: r.decision.source,
        calls: r.calls,
        fallbacks: [...r.decision.fallbacks],
        timings: r.decision.timings,
      })),
      faults: this.#faults.map((f) => ({ ...f })),
    };
  }

  /** `explain()` as text. */
  explainText(): string {
    return formatExplanation(this.explain());
  }

  /** Frees every compiled loss (buffers, tensors, sessions) on every backend it used. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#routes.clear();
    for (const pending of this.#compiled.values()) {
      pending.then(
        (c) => c.dispose(),
        () => undefined, // a failed compile holds nothing
      );
    }
    this.#compiled.clear();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async #call(mode: CallMode, inputs: LossInputs, headGrad: FloatTensor | undefined): Promise<Result> {
    if (this.#disposed) throw new DisposedError(this.loss, 'router');
    // The spec's checks, before any backend: a bad input throws here, unchanged.
    const plan = planCall(this.loss, this.config, inputs);
    const grad = mode === 'forward' ? undefined : checkHeadGrad(plan, headGrad);
    const bucket = shapeBucket(plan);
    const call = ++this.#calls;
    const route = this.#routes.get((mode === 'forward' ? 'f' : 'b') + bucket);
    if (route === undefined) return this.#route(mode, bucket, call, inputs, grad);
    let result: Result;
    try {
      result = await invoke(route.compiled, mode, inputs, grad);
    } catch (e) {
      if (isCallerError(e)) throw e;
      this.#assertLive(); // disposed while the call ran: not the backend's fault
      return this.#recover(route, e, call, inputs, grad);
    }
    route.calls++;
    this.#lastRoute = route;
    this.#lastCall = call;
    this.#lastFellBackFrom = NO_FALLBACK;
    return result;
  }

  /** The first call of a bucket and mode on this loss: use the router's decision, or make one. */
  async #route(
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
  ): Promise<Result> {
    const key = decisionKey(this.loss, this.#setup.configKey, bucket, mode, this.policy);
    // Another loss of this router may be timing the same key: wait for its decision.
    for (let pending = this.#ctx.pending.get(key); pending !== undefined; pending = this.#ctx.pending.get(key))
      await pending;
    this.#assertLive();
    const decision = this.#ctx.decisions.get(key);
    let note: string | undefined;
    if (decision !== undefined) {
      const unusable = await this.#whyUnusable(decision.backend);
      this.#assertLive();
      if (unusable === undefined) return this.#runDecided(key, decision, mode, bucket, call, inputs, grad);
      note = `the ${decision.source} decision for ${decision.backend} does not hold here (${unusable})`;
    }
    const deciding = this.#decide(key, mode, bucket, call, inputs, grad, note);
    const settled = deciding.then(
      () => undefined,
      () => undefined,
    );
    this.#ctx.pending.set(key, settled);
    try {
      return await deciding;
    } finally {
      if (this.#ctx.pending.get(key) === settled) this.#ctx.pending.delete(key);
    }
  }

  /** Why a decision's backend cannot run here (not a candidate, or unavailable: loading it to know). */
  async #whyUnusable(backend: string): Promise<string | undefined> {
    if (!this.#setup.candidates.includes(backend)) {
      const excluded = this.#setup.excluded.find((x) => x.backend === backend);
      return excluded === undefined ? 'unknown to this router' : `${excluded.stage}: ${excluded.reason}`;
    }
    const acquired = await this.#ctx.pool.acquire(backend);
    return acquired.backend === undefined ? `unavailable here: ${acquired.reason ?? ''}` : undefined;
  }

  /** Runs a decision made before (by another loss of this router, or imported). */
  async #runDecided(
    key: string,
    decision: Decision,
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
  ): Promise<Result> {
    const attempts: BackendAttempt[] = [];
    const done = await this.#tryBackend(decision.backend, mode, bucket, call, inputs, grad, attempts);
    if (done !== undefined) {
      this.#install(mode, bucket, call, decision.backend, done.compiled, decision, NO_FALLBACK);
      return done.result;
    }
    return this.#fallBack(key, decision, [decision.backend], attempts, mode, bucket, call, inputs, grad);
  }

  /** A route's backend threw: record it, drop that compiled loss, and fall back. */
  async #recover(
    route: Route,
    error: unknown,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
  ): Promise<Result> {
    const attempts: BackendAttempt[] = [];
    this.#fault(route.mode, route.bucket, call, route.backend, 'call', error, attempts);
    this.#routes.delete((route.mode === 'forward' ? 'f' : 'b') + route.bucket);
    this.#dropCompiled(route.backend);
    const key = decisionKey(this.loss, this.#setup.configKey, route.bucket, route.mode, this.policy);
    return this.#fallBack(key, route.decision, [route.backend], attempts, route.mode, route.bucket, call, inputs, grad);
  }

  /**
   * Re-runs the call on the decision's fallbacks (the timing order, or the preference
   * order when it was not timed), then on any other candidate; the first to complete it
   * becomes the decision for the bucket. The failed backends go last in its fallbacks
   * (unless lost), so a transient fault does not ban a backend for good.
   */
  async #fallBack(
    key: string,
    decision: Decision,
    failed: readonly string[],
    attempts: BackendAttempt[],
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
  ): Promise<Result> {
    const order = [...new Set([...decision.fallbacks, ...this.#setup.candidates])].filter((b) => !failed.includes(b));
    const failedNow = [...failed];
    for (let i = 0; i < order.length; i++) {
      const backend = order[i]!;
      if (this.#ctx.pool.isUnavailable(backend)) {
        attempts.push({ backend, stage: 'unavailable', reason: this.#availabilityReason(backend) });
        continue;
      }
      const done = await this.#tryBackend(backend, mode, bucket, call, inputs, grad, attempts);
      if (done === undefined) {
        failedNow.push(backend);
        continue;
      }
      const stillUsable = failedNow.filter((b) => !this.#ctx.pool.isUnavailable(b));
      const replacement: Decision = {
        ...decision,
        backend,
        fallbacks: [...order.slice(i + 1), ...stillUsable],
        rule: 'fallback',
        reason: `${failedNow.join(', ')} failed on a call (${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}); ${backend} completed it and runs this bucket from now on (was: ${decision.reason})`,
        source: 'decided',
      };
      this.#ctx.decisions.set(key, replacement);
      this.#install(mode, bucket, call, backend, done.compiled, replacement, failedNow);
      return done.result;
    }
    throw new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...attempts]);
  }

  /** Decides a bucket by the policy: the named backend, or timing the candidates. */
  async #decide(
    key: string,
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
    note: string | undefined,
  ): Promise<Result> {
    const policy = this.#setup.policy;
    const attempts: BackendAttempt[] = [];
    const base = {
      loss: this.loss,
      config: this.#setup.configKey,
      bucket,
      mode,
      policy: this.policy,
      environment: this.#ctx.environment,
      source: 'decided' as const,
    };
    let candidates = this.#setup.candidates.filter((b) => !this.#ctx.pool.isUnavailable(b));
    for (const b of this.#setup.candidates)
      if (!candidates.includes(b))
        attempts.push({ backend: b, stage: 'unavailable', reason: this.#availabilityReason(b) });

    if (policy.kind === 'prefer' && candidates[0] !== policy.backend) {
      const why = [...this.#setup.excluded, ...attempts].find((a) => a.backend === policy.backend);
      note = [
        note,
        `prefer:${policy.backend} is not a candidate here (${why === undefined ? 'unknown backend' : `${why.stage}: ${why.reason}`})`,
      ]
        .filter(Boolean)
        .join('; ');
    }
    if (policy.kind !== 'fastest' && candidates[0] === policy.backend) {
      // only: the candidates are that backend alone. prefer: it leads; the others follow untimed.
      const named = policy.backend;
      const done = await this.#tryBackend(named, mode, bucket, call, inputs, grad, attempts);
      if (done !== undefined) {
        const decision: Decision = {
          ...base,
          backend: named,
          fallbacks: candidates.slice(1),
          rule: policy.kind,
          reason: formatDecisionReason({ rule: policy.kind, backend: named, policy: this.policy, note }),
          timings: [],
        };
        this.#ctx.decisions.set(key, decision);
        this.#install(mode, bucket, call, named, done.compiled, decision, NO_FALLBACK);
        return done.result;
      }
      if (policy.kind === 'only') throw new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...attempts]);
      note = [note, `prefer:${named} could not run it (${attempts.map((a) => a.reason).join('; ')})`]
        .filter(Boolean)
        .join('; ');
      candidates = candidates.slice(1);
    }

    // Load and probe the candidates first: with one available there is nothing to time.
    const loadMs = new Map<string, number | null>();
    const available: string[] = [];
    for (const backend of candidates) {
      const acquired = await this.#ctx.pool.acquire(backend);
      this.#assertLive();
      loadMs.set(backend, acquired.loadMs);
      if (acquired.backend !== undefined) available.push(backend);
      else attempts.push({ backend, stage: 'unavailable', reason: acquired.reason ?? 'unavailable' });
    }
    if (available.length === 0) throw new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...attempts]);
    if (available.length === 1) {
      const backend = available[0]!;
      const done = await this.#tryBackend(backend, mode, bucket, call, inputs, grad, attempts);
      if (done === undefined) throw new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...attempts]);
      const decision: Decision = {
        ...base,
        backend,
        fallbacks: [],
        rule: 'single',
        reason: formatDecisionReason({ rule: 'single', backend, policy: this.policy, note, unavailable: attempts }),
        timings: [],
      };
      this.#ctx.decisions.set(key, decision);
      this.#install(mode, bucket, call, backend, done.compiled, decision, NO_FALLBACK);
      return done.result;
    }

    const contenders = available.map((backend): Contender<Result> => ({
      backend,
      // The load time measured above belongs in this backend's row of the timings.
      prepare: async () => ({
        ...(await this.#prepare(backend, mode, bucket, call, inputs, grad)),
        loadMs: loadMs.get(backend) ?? null,
      }),
    }));
    const outcome = await timeContenders(contenders, this.#ctx.clock, this.#ctx.calibration, (backend, error) => {
      this.#fault(mode, bucket, call, backend, 'call', error, attempts);
      this.#dropCompiled(backend);
    });
    this.#assertLive();
    const winner = outcome.ranking[0];
    if (winner === undefined || outcome.result === undefined) {
      for (const t of outcome.timings) {
        if (!attempts.some((a) => a.backend === t.backend))
          attempts.push({
            backend: t.backend,
            stage: t.status === 'unsupported' ? 'unsupported' : 'compile',
            reason: t.reason ?? t.status,
          });
      }
      throw new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...attempts]);
    }
    const decision: Decision = {
      ...base,
      backend: winner,
      fallbacks: outcome.ranking.slice(1),
      rule: outcome.ranking.length === 1 ? 'single' : 'fastest',
      reason: formatDecisionReason({
        rule: outcome.ranking.length === 1 ? 'single' : 'fastest',
        backend: winner,
        policy: this.policy,
        note,
        timings: outcome.timings,
        unavailable: attempts,
      }),
      timings: outcome.timings,
    };
    this.#ctx.decisions.set(key, decision);
    this.#markRecovered(call, winner);
    this.#install(mode, bucket, call, winner, await this.#compiled.get(winner)!, decision, NO_FALLBACK);
    return outcome.result;
  }

  /** Prepares and runs one backend; undefined (with the reason in attempts) if it gives no result. */
  async #tryBackend(
    backend: string,
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
    attempts: BackendAttempt[],
  ): Promise<{ compiled: CompiledLoss; result: Result } | undefined> {
    const prepared = await this.#prepare(backend, mode, bucket, call, inputs, grad);
    if (!prepared.ok) {
      attempts.push({
        backend,
        stage: prepared.status === 'failed' ? 'compile' : prepared.status,
        reason: prepared.reason,
      });
      return undefined;
    }
    try {
      const result = await prepared.call();
      this.#assertLive();
      this.#markRecovered(call, backend);
      return { compiled: await this.#compiled.get(backend)!, result };
    } catch (e) {
      if (isCallerError(e)) throw e;
      this.#assertLive();
      this.#fault(mode, bucket, call, backend, 'call', e, attempts);
      this.#dropCompiled(backend);
      return undefined;
    }
  }

  /** Loads, probes and compiles a backend for this config (each once), ready to call. */
  async #prepare(
    backend: string,
    mode: CallMode,
    bucket: string,
    call: number,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
  ): Promise<Prepared<Result>> {
    const acquired = await this.#ctx.pool.acquire(backend);
    this.#assertLive();
    if (acquired.backend === undefined) {
      return {
        ok: false,
        status: 'unavailable',
        reason: acquired.reason ?? 'unavailable',
        loadMs: acquired.loadMs,
        compileMs: null,
      };
    }
    const support = acquired.backend.supports(this.loss, this.config);
    if (!support.supported)
      return { ok: false, status: 'unsupported', reason: support.reason, loadMs: acquired.loadMs, compileMs: null };
    let compileMs: number | null = null;
    let pending = this.#compiled.get(backend);
    if (pending === undefined) {
      const start = this.#ctx.clock();
      pending = acquired.backend.compile(this.loss, this.config);
      this.#compiled.set(backend, pending);
      try {
        await pending;
      } catch {
        // reported below
      }
      compileMs = this.#ctx.clock() - start;
    }
    let compiled: CompiledLoss;
    try {
      compiled = await pending;
    } catch (e) {
      if (this.#compiled.get(backend) === pending) this.#compiled.delete(backend);
      if (isCallerError(e)) throw e;
      const kind = (e as { kind?: unknown }).kind;
      if (kind === 'unsupported')
        return { ok: false, status: 'unsupported', reason: describeError(e), loadMs: acquired.loadMs, compileMs };
      if (isBackendLost(e)) this.#ctx.pool.markUnavailable(backend, describeError(e));
      this.#fault(mode, bucket, call, backend, 'compile', e, undefined);
      return { ok: false, status: 'failed', reason: describeError(e), loadMs: acquired.loadMs, compileMs };
    }
    if (this.#disposed) {
      compiled.dispose();
      throw new DisposedError(this.loss, 'router');
    }
    return { ok: true, loadMs: acquired.loadMs, compileMs, call: () => invoke(compiled, mode, inputs, grad) };
  }

  #install(
    mode: CallMode,
    bucket: string,
    call: number,
    backend: string,
    compiled: CompiledLoss,
    decision: Decision,
    fellBackFrom: readonly string[],
  ): void {
    const route: Route = { mode, bucket, backend, compiled, decision, calls: 1 };
    this.#routes.set((mode === 'forward' ? 'f' : 'b') + bucket, route);
    this.#lastRoute = route;
    this.#lastCall = call;
    this.#lastFellBackFrom = fellBackFrom.length === 0 ? NO_FALLBACK : [...fellBackFrom];
  }

  #fault(
    mode: CallMode,
    bucket: string,
    call: number,
    backend: string,
    stage: 'compile' | 'call',
    error: unknown,
    attempts: BackendAttempt[] | undefined,
  ): void {
    const lost = isBackendLost(error);
    const message = describeError(error);
    if (lost) this.#ctx.pool.markUnavailable(backend, `lost during a call: ${message}`);
    this.#faults.push({ call, mode, bucket, backend, stage, error: message, lost, recoveredBy: null });
    attempts?.push({ backend, stage, reason: message });
  }

  /** Marks this call's faults as completed by `backend`. */
  #markRecovered(call: number, backend: string): void {
    for (const f of this.#faults) if (f.call === call && f.recoveredBy === null) f.recoveredBy = backend;
  }

  #dropCompiled(backend: string): void {
    const pending = this.#compiled.get(backend);
    if (pending === undefined) return;
    this.#compiled.delete(backend);
    pending.then(
      (c) => c.dispose(),
      () => undefined,
    );
  }

  #availabilityReason(backend: string): string {
    return this.#ctx.pool.availability().find((a) => a.backend === backend)?.reason ?? 'unavailable';
  }

  #assertLive(): void {
    if (this.#disposed) throw new DisposedError(this.loss, 'router');
  }
}
