/**
 * A loss bound to a config, routed per call: the route map and the fallback. Every call
 * is validated by the spec first (a bad input throws the spec's error before any backend
 * is loaded); its mode and shape bucket name a route (the backend decided for them). A
 * known route costs a map lookup and starts the backend's call without an await, so the
 * backend reads (or copies) the caller's inputs before anything else runs. Otherwise the
 * call copies its inputs at once (so later changes by the caller cannot reach it), the
 * bucket is decided (`decide.ts`, timed by `calibration.ts` on the call or on a proxy of
 * it, `cost-model.ts`), and a backend that fails, misses a deadline (`deadlines.ts`) or
 * returns a malformed result (`result-check.ts`) is a fault: the call is re-run on the
 * next backend. Compiled losses live in `compiled-cache.ts`.
 */
import {
  DisposedError,
  checkHeadGrad,
  checkResultBuffers,
  deliverInto,
  planCall,
  snapshotPlan,
  snapshotTensor,
  type CallOptions,
  type CallPlan,
  type CanonicalLossName,
  type CompiledLoss,
  type Environment,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type LossInputs,
  type ResultBuffers,
} from '@gluon-loss/spec';
import type { BackendPool } from './backend-pool.js';
import {
  timeContenders,
  type CalibrationHooks,
  type CalibrationSettings,
  type Clock,
  type Contender,
  type Prepared,
} from './calibration.js';
import { CompiledCache, type CompiledCacheLimits } from './compiled-cache.js';
import {
  COPIES,
  NO_COPIES,
  admitCandidate,
  estimateCost,
  loadsHeavy,
  measureCopyNsPerByte,
  needsProxy,
  predictCallMs,
  proxyInputs,
  trafficMs,
  type Copies,
  type CostSettings,
  type Proxy,
} from './cost-model.js';
import { decide, fallbackDecision, planDecision, type DecisionCore } from './decide.js';
import { withDeadline, type Deadlines } from './deadlines.js';
import { decisionKey, type CallMode, type Decision } from './decisions.js';
import { AllBackendsFailedError, describeError, isBackendLost, isCallerError, type BackendAttempt } from './errors.js';
import { formatExplanation, type Explanation, type FaultRecord, type RouteExplanation } from './explanation.js';
import type { ParsedPolicy, Policy } from './policy.js';
import { checkResult } from './result-check.js';
import { shapeBucket } from './shape-bucket.js';

/** What a routed loss shares with its router. */
export interface RouterContext {
  readonly environment: Environment;
  readonly pool: BackendPool;
  readonly clock: Clock;
  readonly calibration: CalibrationSettings;
  readonly deadlines: Deadlines;
  readonly cost: CostSettings;
  readonly compiledLimits: CompiledCacheLimits;
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
  readonly decision: Decision;
  calls: number;
}

type Result = ForwardResult | ForwardBackwardResult;

/** One call, as every step of routing it needs it. */
interface Call {
  readonly number: number;
  readonly mode: CallMode;
  readonly bucket: string;
  /** The route map's key: mode and bucket (built here only). */
  readonly routeKey: string;
  /** The router's decision key. */
  readonly decisionKey: string;
  plan: CallPlan;
  inputs: LossInputs;
  grad: FloatTensor | undefined;
  /** Backends that gave no result for this call, and why. */
  readonly attempts: BackendAttempt[];
}

const NO_FALLBACK: readonly string[] = Object.freeze([]);

/** The plan's tensors and scalars as inputs (what a backend's `forward` takes). */
function inputsOf(plan: CallPlan): LossInputs {
  return { ...plan.scalars, ...plan.tensors };
}

export class RoutedLoss {
  readonly loss: CanonicalLossName;
  /** The parsed config, MXNet's defaults filled in. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly policy: Policy;
  readonly #ctx: RouterContext;
  readonly #setup: RoutedLossSetup;
  readonly #routes = new Map<string, Route>();
  readonly #compiled: CompiledCache;
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
    this.#compiled = new CompiledCache(ctx.compiledLimits);
  }

  /**
   * `options.out`: the caller's result buffers (the spec's aliasing rule). Only a backend
   * that fills them before its call returns (`writesOutBeforeReturning`) is handed them,
   * and only on a route already decided; any other result (a timing run, a fallback, a
   * backend that computes off the calling thread) is copied in once the router accepts
   * it. So a backend abandoned by a fallback or a deadline never holds the buffers.
   */
  forward(inputs: LossInputs, options?: CallOptions): Promise<ForwardResult> {
    return this.#call('forward', inputs, undefined, options);
  }

  forwardBackward(inputs: LossInputs, headGrad?: FloatTensor, options?: CallOptions): Promise<ForwardBackwardResult> {
    return this.#call('forwardBackward', inputs, headGrad, options) as Promise<ForwardBackwardResult>;
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
      compiled: { backends: this.#compiled.backends(), bytes: this.#compiled.bytes },
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
    this.#compiled.clear();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async #call(
    mode: CallMode,
    inputs: LossInputs,
    headGrad: FloatTensor | undefined,
    options: CallOptions | undefined,
  ): Promise<Result> {
    this.#assertLive();
    // The spec's checks, before any backend: a bad input throws here, unchanged.
    const plan = planCall(this.loss, this.config, inputs);
    const grad = mode === 'forward' ? undefined : checkHeadGrad(plan, headGrad);
    const out = checkResultBuffers(plan, mode, options, grad);
    return deliverInto(out, await this.#dispatch(mode, plan, inputs, grad, out));
  }

  /** The call after the spec's checks; its result goes into `out` in `#call` (unless written there already). */
  async #dispatch(
    mode: CallMode,
    plan: CallPlan,
    inputs: LossInputs,
    grad: FloatTensor | undefined,
    out: ResultBuffers | undefined,
  ): Promise<Result> {
    const bucket = shapeBucket(plan);
    const routeKey = `${mode === 'forward' ? 'f' : 'b'} ${bucket}`;
    const call: Call = {
      number: ++this.#calls,
      mode,
      bucket,
      routeKey,
      decisionKey: decisionKey(this.loss, this.#setup.configKey, bucket, mode, this.policy),
      plan,
      inputs,
      grad,
      attempts: [],
    };
    const route = this.#routes.get(routeKey);
    const compiled = route === undefined ? undefined : this.#compiled.ready(route.backend);
    if (route !== undefined && compiled !== undefined) {
      // The hot path: the backend's call starts now, before any await, on the caller's arrays.
      let result: Result;
      try {
        result = await this.#invoke(route.backend, compiled, call, undefined, out);
      } catch (e) {
        if (isCallerError(e)) throw e;
        this.#assertLive(); // disposed while the call ran: not the backend's fault
        return this.#recover(route, e, call);
      }
      route.calls++;
      this.#noteLast(route, call, NO_FALLBACK);
      return result;
    }
    // Every other path awaits before a backend reads the inputs: read them once, now.
    call.plan = snapshotPlan(plan);
    call.inputs = inputsOf(call.plan);
    call.grad = grad === undefined ? undefined : snapshotTensor(grad);
    if (route !== undefined) return this.#runDecided(route.decision, call); // its compiled loss was evicted
    return this.#route(call);
  }

  /**
   * One call on one compiled loss, under the call deadline, its result checked. The
   * backend's method is called synchronously (no await before it).
   */
  async #invoke(
    backend: string,
    compiled: CompiledLoss,
    call: Call,
    proxy?: CallPlan,
    out?: ResultBuffers,
  ): Promise<Result> {
    const plan = proxy ?? call.plan;
    const inputs = proxy === undefined ? call.inputs : inputsOf(proxy);
    const grad =
      call.mode === 'forward'
        ? undefined
        : proxy === undefined
          ? call.grad!
          : { data: new Float32Array(proxy.outputShape.reduce((a, b) => a * b, 1)).fill(1), shape: proxy.outputShape };
    // The caller's buffers go only to a backend that has filled them when its call returns.
    const options = out !== undefined && compiled.writesOutBeforeReturning === true ? { out } : undefined;
    let running: Promise<Result>;
    this.#compiled.pin(backend);
    try {
      running =
        call.mode === 'forward' ? compiled.forward(inputs, options) : compiled.forwardBackward(inputs, grad!, options);
    } catch (e) {
      running = Promise.reject(e); // a backend that throws instead of rejecting
    }
    try {
      const result = await withDeadline(running, backend, 'call', this.#ctx.deadlines.callMs);
      checkResult(plan, call.mode, result);
      return result;
    } finally {
      this.#compiled.unpin(backend);
    }
  }

  /** The first call of a bucket and mode on this loss: use the router's decision, or make one. */
  async #route(call: Call): Promise<Result> {
    const key = call.decisionKey;
    // Another loss of this router may be timing the same key: wait for its decision.
    for (let pending = this.#ctx.pending.get(key); pending !== undefined; pending = this.#ctx.pending.get(key))
      await pending;
    this.#assertLive();
    const decision = this.#ctx.decisions.get(key);
    let note: string | undefined;
    if (decision !== undefined) {
      const unusable = await this.#whyUnusable(decision.backend, call);
      this.#assertLive();
      if (unusable === undefined) return this.#runDecided(decision, call);
      note = `the ${decision.source} decision for ${decision.backend} does not hold here (${unusable})`;
    }
    const deciding = this.#decide(call, note);
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
  async #whyUnusable(backend: string, call: Call): Promise<string | undefined> {
    if (!this.#setup.candidates.includes(backend)) {
      const excluded = this.#setup.excluded.find((x) => x.backend === backend);
      return excluded === undefined ? 'unknown to this router' : `${excluded.stage}: ${excluded.reason}`;
    }
    const acquired = await this.#acquire(backend, call);
    return acquired === undefined ? `unavailable here: ${this.#availabilityReason(backend)}` : undefined;
  }

  /** Runs a decision made before (by another loss of this router, imported, or a route whose state was evicted). */
  async #runDecided(decision: Decision, call: Call): Promise<Result> {
    const result = await this.#tryBackend(decision.backend, call);
    if (result !== undefined) {
      this.#install(call, decision.backend, decision, NO_FALLBACK);
      return result;
    }
    return this.#fallBack(decision, [decision.backend], call);
  }

  /** A route's backend failed on a call: record it, free what only it used, and fall back. */
  async #recover(route: Route, error: unknown, call: Call): Promise<Result> {
    this.#fault(call, route.backend, 'call', error);
    this.#routes.delete(call.routeKey);
    this.#releaseIfUnused(route.backend);
    // The inputs are read again by the next backend, which validates them again.
    return this.#fallBack(route.decision, [route.backend], call);
  }

  /**
   * Re-runs the call on the decision's fallbacks (the timing order, or the preference
   * order when it was not timed), then on any other candidate; the first to complete it
   * becomes the decision for the bucket. The failed backends go last in its fallbacks
   * (unless lost), so a transient fault does not ban a backend for good.
   */
  async #fallBack(decision: Decision, failed: readonly string[], call: Call): Promise<Result> {
    const order = [...new Set([...decision.fallbacks, ...this.#setup.candidates])].filter((b) => !failed.includes(b));
    const failedNow = [...failed];
    for (let i = 0; i < order.length; i++) {
      const backend = order[i]!;
      if (this.#ctx.pool.isUnavailable(backend)) {
        call.attempts.push({ backend, stage: 'unavailable', reason: this.#availabilityReason(backend) });
        continue;
      }
      const result = await this.#tryBackend(backend, call);
      if (result === undefined) {
        failedNow.push(backend);
        continue;
      }
      const stillUsable = failedNow.filter((b) => !this.#ctx.pool.isUnavailable(b));
      const core = fallbackDecision(decision, backend, order.slice(i + 1), failedNow, stillUsable, call.attempts);
      const replacement = this.#decisionOf(call, core);
      this.#ctx.decisions.set(call.decisionKey, replacement);
      this.#install(call, backend, replacement, failedNow);
      return result;
    }
    throw this.#allFailed(call);
  }

  /** Decides a bucket by the policy: the named backend, the only one, or timing the candidates. */
  async #decide(call: Call, note: string | undefined): Promise<Result> {
    const policy = this.#setup.policy;
    let candidates = this.#setup.candidates.filter((b) => !this.#ctx.pool.isUnavailable(b));
    for (const b of this.#setup.candidates)
      if (!candidates.includes(b))
        call.attempts.push({ backend: b, stage: 'unavailable', reason: this.#availabilityReason(b) });

    if (policy.kind === 'prefer' && candidates[0] !== policy.backend) {
      const why = [...this.#setup.excluded, ...call.attempts].find((a) => a.backend === policy.backend);
      note = joinNotes(
        note,
        `prefer:${policy.backend} is not a candidate here (${why === undefined ? 'unknown backend' : `${why.stage}: ${why.reason}`})`,
      );
    }
    const first = planDecision(policy, candidates);
    if (first.kind === 'named') {
      // only: the candidates are that backend alone. prefer: it leads; the others follow untimed.
      const result = await this.#tryBackend(first.backend, call);
      if (result !== undefined) return this.#settle(call, candidates, [], note, result);
      if (policy.kind === 'only') throw this.#allFailed(call);
      note = joinNotes(
        note,
        `prefer:${first.backend} could not run it (${call.attempts.map((a) => a.reason).join('; ')})`,
      );
      candidates = candidates.slice(1);
    }

    // A large bucket is timed on a proxy, loading each candidate only when the cost model
    // says it may pay for itself (so a heavy runtime is not loaded for a call it cannot win).
    const proxy = candidates.length > 1 ? this.#proxyOf(call) : undefined;
    if (proxy !== undefined) return this.#calibrate(call, candidates, new Map(), note, proxy);

    // A small call is decided among the light backends and those already loaded; a heavy
    // runtime is loaded for it only when none of those can run it (cost-model.ts).
    const deferred = loadsHeavy(estimateCost(call.plan, call.mode), this.#ctx.cost)
      ? []
      : candidates.filter((b) => this.#ctx.pool.isHeavyUnloaded(b));
    // Load and probe the candidates first: with one available there is nothing to time.
    const loadMs = new Map<string, number | null>();
    const available: string[] = [];
    for (const backend of candidates) {
      if (deferred.includes(backend)) continue;
      const acquired = await this.#acquire(backend, call, loadMs);
      this.#assertLive();
      if (acquired !== undefined) available.push(backend);
    }
    if (deferred.length > 0 && available.length === 0) {
      for (const backend of deferred) {
        const acquired = await this.#acquire(backend, call, loadMs);
        this.#assertLive();
        if (acquired !== undefined) available.push(backend);
      }
    } else if (deferred.length > 0) {
      note = joinNotes(
        note,
        `not loaded for a call this small: ${deferred.join(', ')} (a heavy runtime loads for a main input above ${this.#ctx.cost.loadHeavyAboveElements} elements)`,
      );
    }
    const plan = planDecision({ kind: 'fastest' }, available);
    if (plan.kind === 'none') throw this.#allFailed(call);
    if (plan.kind === 'single') {
      const result = await this.#tryBackend(plan.backend, call);
      if (result === undefined) throw this.#allFailed(call);
      return this.#settle(call, available, [], note, result);
    }
    return this.#calibrate(call, available, loadMs, note, undefined);
  }

  /** A bounded proxy of the call when it is large (cost-model.ts), else undefined. */
  #proxyOf(call: Call): Proxy | undefined {
    return needsProxy(estimateCost(call.plan, call.mode), this.#ctx.cost)
      ? proxyInputs(call.plan, this.#ctx.cost)
      : undefined;
  }

  /**
   * The cost model's hooks for a calibration on a proxy: each candidate's predicted real
   * call, and which candidates are worth loading and timing at all (within the budget).
   */
  #proxyHooks(call: Call, proxy: Proxy): CalibrationHooks {
    const real = estimateCost(call.plan, call.mode);
    const small = estimateCost(proxy.plan, call.mode);
    const cost = this.#ctx.cost;
    const pool = this.#ctx.pool;
    // The traffic model knows the built-ins; an injected backend's prediction is scaled only.
    const copiesOf = (backend: string): Copies | undefined =>
      pool.sourceOf(backend) === 'builtin' ? (COPIES[backend] ?? NO_COPIES) : undefined;
    let nsPerByte: number | undefined = cost.copyNsPerByte;
    const rate = (copies: Copies | undefined): number =>
      copies === undefined ? 0 : (nsPerByte ??= measureCopyNsPerByte());
    const loaded = new Map(pool.availability().map((a) => [a.backend, a.state !== 'not loaded']));
    const start = this.#ctx.clock();
    return {
      admit: (backend, best) => {
        const copies = copiesOf(backend);
        const loadMs =
          loaded.get(backend) === true || pool.sourceOf(backend) !== 'builtin' ? 0 : (cost.typicalLoadMs[backend] ?? 0);
        return admitCandidate(
          { backend, loadMs, floorMs: copies === undefined ? 0 : trafficMs(real, copies, rate(copies)) },
          { best, spentMs: this.#ctx.clock() - start, budget: cost.calibrationBudget },
        );
      },
      // The fastest run, not the median: a proxy call is short enough that a busy machine's
      // interruptions land in some runs and not others, and they are not the backend's cost.
      predict: (backend, runsMs) => {
        const copies = copiesOf(backend);
        const predicted = predictCallMs(Math.min(...runsMs), small, real, copies, rate(copies));
        return copies !== undefined && copies.inputs + copies.outputs > 0 ? predicted * cost.copyMargin : predicted;
      },
    };
  }

  /**
   * Times the candidates (on a proxy when the call is large, see cost-model.ts), decides,
   * releases every loser's compiled state, and completes the call: with the winner's
   * result when timed on the call itself, else by one real call on the winner.
   */
  async #calibrate(
    call: Call,
    available: readonly string[],
    loadMs: ReadonlyMap<string, number | null>,
    note: string | undefined,
    proxy: Proxy | undefined,
  ): Promise<Result> {
    const contenders = available.map((backend): Contender<Result> => ({
      backend,
      // A load measured before timing belongs in this backend's row of the timings.
      prepare: async () => {
        const prepared = await this.#prepare(backend, call, proxy?.plan);
        return loadMs.has(backend) ? { ...prepared, loadMs: loadMs.get(backend)! } : prepared;
      },
    }));
    const outcome = await timeContenders(
      contenders,
      this.#ctx.clock,
      this.#ctx.calibration,
      (backend, error) => this.#fault(call, backend, 'call', error),
      proxy === undefined ? {} : this.#proxyHooks(call, proxy),
    );
    this.#assertLive();
    for (const t of outcome.timings) {
      if (t.medianMs === null && t.status !== 'skipped' && !call.attempts.some((a) => a.backend === t.backend))
        call.attempts.push({
          backend: t.backend,
          stage: t.status === 'unsupported' ? 'unsupported' : t.status === 'unavailable' ? 'unavailable' : 'compile',
          reason: t.reason ?? t.status,
        });
    }
    const core = decide(available, { kind: 'fastest' }, outcome.timings, {
      policyName: this.policy,
      note,
      unavailable: call.attempts,
      timedOn: proxy?.description,
    });
    if (core === undefined) throw this.#allFailed(call);
    // Losers hold their state for this bucket (sessions, buffers): free it now.
    for (const backend of available) if (backend !== core.backend) this.#releaseIfUnused(backend);
    if (proxy === undefined) {
      this.#markRecovered(call, core.backend);
      return this.#settle(call, available, outcome.timings, note, outcome.result!, core);
    }
    // Timed on a proxy: the real call runs once, on the winner (then its fallbacks).
    const decision = this.#decisionOf(call, core);
    this.#ctx.decisions.set(call.decisionKey, decision);
    return this.#runDecided(decision, call);
  }

  /** Records the decision for the call's bucket and installs its route. */
  #settle(
    call: Call,
    candidates: readonly string[],
    timings: Decision['timings'],
    note: string | undefined,
    result: Result,
    core = decide(candidates, this.#setup.policy, timings, {
      policyName: this.policy,
      note,
      unavailable: call.attempts,
    })!,
  ): Result {
    const decision = this.#decisionOf(call, core);
    this.#ctx.decisions.set(call.decisionKey, decision);
    this.#install(call, core.backend, decision, NO_FALLBACK);
    return result;
  }

  #decisionOf(call: Call, core: DecisionCore): Decision {
    return {
      loss: this.loss,
      config: this.#setup.configKey,
      bucket: call.bucket,
      mode: call.mode,
      policy: this.policy,
      environment: this.#ctx.environment,
      source: 'decided',
      ...core,
    };
  }

  /** Prepares and runs one backend on the call; undefined (the reason in the call's attempts) if it gives no result. */
  async #tryBackend(backend: string, call: Call): Promise<Result | undefined> {
    const prepared = await this.#prepare(backend, call);
    if (!prepared.ok) {
      if (!call.attempts.some((a) => a.backend === backend && a.reason === prepared.reason))
        call.attempts.push({
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
      return result;
    } catch (e) {
      if (isCallerError(e)) throw e;
      this.#assertLive();
      this.#fault(call, backend, 'call', e);
      this.#releaseIfUnused(backend);
      return undefined;
    }
  }

  /** The loaded backend, under the load deadline; undefined (recorded in the call's attempts) when it cannot run. */
  async #acquire(backend: string, call: Call, loadMs?: Map<string, number | null>) {
    const acquired = await this.#ctx.pool.acquire(backend);
    loadMs?.set(backend, acquired.loadMs);
    if (acquired.fault !== undefined) this.#fault(call, backend, 'load', acquired.fault);
    if (acquired.backend === undefined) {
      call.attempts.push({ backend, stage: 'unavailable', reason: acquired.reason ?? 'unavailable' });
      return undefined;
    }
    return acquired.backend;
  }

  /** Loads, probes and compiles a backend for this config (each once, under deadlines), ready to call. */
  async #prepare(backend: string, call: Call, proxy?: CallPlan): Promise<Prepared<Result>> {
    const acquired = await this.#ctx.pool.acquire(backend);
    this.#assertLive();
    if (acquired.fault !== undefined) this.#fault(call, backend, 'load', acquired.fault);
    if (acquired.backend === undefined) {
      const reason = acquired.reason ?? 'unavailable';
      return { ok: false, status: 'unavailable', reason, loadMs: acquired.loadMs, compileMs: null };
    }
    const support = acquired.backend.supports(this.loss, this.config);
    if (!support.supported)
      return { ok: false, status: 'unsupported', reason: support.reason, loadMs: acquired.loadMs, compileMs: null };
    let compileMs: number | null = null;
    let pending = this.#compiled.pending(backend);
    if (pending === undefined) {
      const start = this.#ctx.clock();
      let started: Promise<CompiledLoss>;
      try {
        started = acquired.backend.compile(this.loss, this.config);
      } catch (e) {
        started = Promise.reject(e);
      }
      // A compile that settles after its deadline is disposed: nobody holds it.
      pending = withDeadline(started, backend, 'compile', this.#ctx.deadlines.compileMs, (late) => late.dispose());
      this.#compiled.add(backend, pending);
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
      if (isCallerError(e)) throw e;
      const kind = (e as { kind?: unknown }).kind;
      if (kind === 'unsupported')
        return { ok: false, status: 'unsupported', reason: describeError(e), loadMs: acquired.loadMs, compileMs };
      this.#fault(call, backend, 'compile', e);
      return { ok: false, status: 'failed', reason: describeError(e), loadMs: acquired.loadMs, compileMs };
    }
    this.#assertLive();
    return {
      ok: true,
      loadMs: acquired.loadMs,
      compileMs,
      call: () => this.#invoke(backend, compiled, call, proxy),
    };
  }

  #install(call: Call, backend: string, decision: Decision, fellBackFrom: readonly string[]): void {
    const route: Route = { mode: call.mode, bucket: call.bucket, backend, decision, calls: 1 };
    this.#routes.set(call.routeKey, route);
    this.#noteLast(route, call, fellBackFrom);
  }

  #noteLast(route: Route, call: Call, fellBackFrom: readonly string[]): void {
    this.#lastRoute = route;
    this.#lastCall = call.number;
    this.#lastFellBackFrom = fellBackFrom.length === 0 ? NO_FALLBACK : [...fellBackFrom];
  }

  /**
   * A fault: recorded (with the call's attempts), and a backend that is lost (its device,
   * its wasm instance aborted) is marked so for the process and its state freed.
   */
  #fault(call: Call, backend: string, stage: FaultRecord['stage'], error: unknown): void {
    const lost = isBackendLost(error);
    const message = describeError(error);
    if (lost) {
      this.#ctx.pool.markLost(backend, `lost during a ${stage}: ${message}`);
      for (const [key, route] of this.#routes) if (route.backend === backend) this.#routes.delete(key);
      this.#compiled.release(backend);
    }
    this.#faults.push({
      call: call.number,
      mode: call.mode,
      bucket: call.bucket,
      backend,
      stage,
      error: message,
      lost,
      recoveredBy: null,
    });
    call.attempts.push({ backend, stage, reason: message });
  }

  /** Frees a backend's compiled loss unless a route still runs on it (another mode or bucket). */
  #releaseIfUnused(backend: string): void {
    for (const route of this.#routes.values()) if (route.backend === backend) return;
    this.#compiled.release(backend);
  }

  /** Marks this call's faults as completed by `backend`. */
  #markRecovered(call: Call, backend: string): void {
    for (const f of this.#faults) if (f.call === call.number && f.recoveredBy === null) f.recoveredBy = backend;
  }

  #allFailed(call: Call): AllBackendsFailedError {
    return new AllBackendsFailedError(this.loss, [...this.#setup.excluded, ...call.attempts]);
  }

  #availabilityReason(backend: string): string {
    return this.#ctx.pool.availability().find((a) => a.backend === backend)?.reason ?? 'unavailable';
  }

  #assertLive(): void {
    if (this.#disposed) throw new DisposedError(this.loss, 'router');
  }
}

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  return notes.filter(Boolean).join('; ') || undefined;
}
