/**
 * A router: the backends it knows (built-in ones, loaded lazily, and any the caller
 * injects), which of them may run which loss (the shipped conformance table, plus what
 * the caller declares for injected ones), and the decisions it has made or imported.
 * Most applications use the default router through `createLoss`; a test or an app with
 * its own backends makes one with `createRouter`.
 */
import {
  builtinBackendNames,
  findBackendEntry,
  loadBuiltinBackend,
  missingPackagesReason,
  type BackendOptions,
} from '@gluon-loss/backends';
import {
  ConfigError,
  canonicalLossName,
  currentEnvironment,
  parseConfig,
  type Backend,
  type CanonicalLossName,
  type Environment,
  type ConfigOf,
  type LossNameArg,
} from '@gluon-loss/spec';
import { BackendPool, type BackendAvailability, type BackendLoader } from './backend-pool.js';
import { DEFAULT_CALIBRATION, type CalibrationSettings, type Clock } from './calibration.js';
import { DEFAULT_COMPILED_LIMITS, type CompiledCacheLimits } from './compiled-cache.js';
import { DEFAULT_COST, type CostSettings } from './cost-model.js';
import { parseDeadlines, type Deadlines } from './deadlines.js';
import { configKey, keyOf, parseDecisions, serializeDecisions, type Decision } from './decisions.js';
import { SHIPPED_ELIGIBILITY, declaredLosses, tableLosses, type DeclaredEligibility } from './eligibility.js';
import type { EligibilityTable } from './eligibility-rule.js';
import { NoBackendError, type BackendAttempt } from './errors.js';
import { formatPolicy, parsePolicy, type Policy } from './policy.js';
import { RoutedLoss, type RouterContext } from './routed-loss.js';
import type { LossOf } from './typed-inputs.js';

export interface InjectedBackend {
  readonly backend: Backend;
  /**
   * The losses it may run: a conformance report that includes it (the losses whose every
   * golden case it passed, the rule of the shipped table) or a list of loss names the
   * caller vouches for. Nothing else makes it eligible.
   */
  readonly eligibility: DeclaredEligibility;
}

export interface RouterOptions {
  /** Backends of the caller's own, tried before the built-ins; one named like a built-in replaces it. */
  readonly backends?: readonly InjectedBackend[];
  /** Which built-in backends to consider: every one that runs in this environment (true, the default), a list, or none. */
  readonly builtins?: boolean | readonly string[];
  /** Options for a built-in backend's factory (a page's `wasmPaths`), one object for all or per name. */
  readonly backendOptions?: BackendOptions | ((name: string) => BackendOptions | undefined);
  /** Loads a built-in backend by name (default: `loadBuiltinBackend` from @gluon-loss/backends). */
  readonly loadBackend?: BackendLoader;
  /** The eligibility table for built-in backends (default: the one shipped, generated from conformance runs). */
  readonly eligibility?: EligibilityTable;
  readonly environment?: Environment;
  /** Milliseconds, monotonic (default `performance.now`); injectable for tests of the decision rule. */
  readonly clock?: Clock;
  readonly calibration?: Partial<CalibrationSettings>;
  /** How long a load/probe, a compile and a call may take before the backend is abandoned (see deadlines.ts). */
  readonly deadlines?: Partial<Deadlines>;
  /** When a first call is timed on a proxy of itself (see cost-model.ts). */
  readonly cost?: Partial<CostSettings>;
  /** The bounds of each routed loss's compiled-state cache (count, bytes). */
  readonly compiledCache?: Partial<CompiledCacheLimits>;
  /** The policy of losses created without one (default 'fastest'). */
  readonly policy?: Policy;
}

export interface CreateLossOptions {
  /** 'fastest' (default), 'prefer:<backend>' or 'only:<backend>'. */
  readonly policy?: Policy;
}

export class Router {
  readonly environment: Environment;
  readonly #pool: BackendPool;
  readonly #eligible = new Map<string, ReadonlySet<CanonicalLossName>>();
  readonly #eligibilityNote = new Map<string, string>();
  readonly #ctx: RouterContext;
  readonly #defaultPolicy: Policy;

  constructor(options: RouterOptions = {}) {
    this.environment = options.environment ?? currentEnvironment();
    const table = options.eligibility ?? SHIPPED_ELIGIBILITY;
    const all = builtinBackendNames(this.environment);
    const builtins =
      options.builtins === false
        ? []
        : options.builtins === true || options.builtins === undefined
          ? all
          : checkBuiltins(options.builtins, all, builtinBackendNames('node'), builtinBackendNames('browser'));
    const deadlines = parseDeadlines(options.deadlines);
    const injected = options.backends ?? [];
    const perName = options.backendOptions;
    this.#pool = new BackendPool(
      builtins,
      injected.map((i) => i.backend),
      {
        loader: options.loadBackend ?? loadBuiltinBackend,
        backendOptions: typeof perName === 'function' ? perName : () => perName,
        clock: options.clock ?? (() => performance.now()),
        loadMs: deadlines.loadMs,
        heavy: (name) => findBackendEntry(name)?.heavy === true,
        // The registry's packages say nothing about what another loader can load.
        ...(options.loadBackend === undefined ? { missingPackages: missingPackagesReason } : {}),
      },
    );
    for (const name of builtins) {
      this.#eligible.set(name, tableLosses(table, this.environment, name));
      this.#eligibilityNote.set(name, `not in the conformance table for this loss in ${this.environment}`);
    }
    for (const { backend, eligibility } of injected) {
      this.#eligible.set(backend.name, declaredLosses(backend.name, eligibility, table.goldenCases));
      this.#eligibilityNote.set(backend.name, 'not among the losses declared for this injected backend');
    }
    this.#defaultPolicy = options.policy ?? 'fastest';
    this.#ctx = {
      environment: this.environment,
      pool: this.#pool,
      clock: options.clock ?? (() => performance.now()),
      calibration: {
        ...DEFAULT_CALIBRATION,
        // A page's clock is coarse (100 us in Chromium without cross-origin isolation):
        // each timed run there repeats the call until it spans 1 ms.
        ...(this.environment === 'browser' ? { minRunMs: 1 } : {}),
        ...options.calibration,
      },
      deadlines,
      cost: { ...DEFAULT_COST, ...options.cost },
      compiledLimits: { ...DEFAULT_COMPILED_LIMITS, ...options.compiledCache },
      decisions: new Map(),
      pending: new Map(),
      eligibilitySource: `conformance table for MXNet ${table.reference.mxnet} goldens${injected.length > 0 ? ', and declared for injected backends' : ''}`,
    };
  }

  /**
   * A loss routed to the fastest eligible backend (or as the policy says). Throws the
   * spec's UnknownLossError / ConfigError for a bad name or config, ConfigError for a bad
   * policy, and NoBackendError when no backend may run the loss here. Loads at most the
   * first candidate that turns out available; the rest wait for the first call.
   */
  async createLoss<N extends string>(
    name: LossNameArg<N>,
    config?: ConfigOf<N>,
    options: CreateLossOptions = {},
  ): Promise<RoutedLoss> {
    const loss = canonicalLossName(name);
    const parsed = Object.freeze(parseConfig(loss, config));
    const policy = parsePolicy(loss, options.policy ?? this.#defaultPolicy);
    const candidates: string[] = [];
    const excluded: BackendAttempt[] = [];
    for (const backend of this.#pool.names()) {
      if (!this.isEligible(backend, loss))
        excluded.push({ backend, stage: 'ineligible', reason: this.#eligibilityNote.get(backend)! });
      else if (policy.kind === 'only' && backend !== policy.backend)
        excluded.push({ backend, stage: 'policy', reason: `policy only:${policy.backend}` });
      else candidates.push(backend);
    }
    if (policy.kind !== 'fastest' && !this.#pool.has(policy.backend)) {
      excluded.push({
        backend: policy.backend,
        stage: 'unavailable',
        reason: `no backend of that name in this router (${this.#pool.names().join(', ')})`,
      });
    }
    if (policy.kind === 'prefer' && candidates.includes(policy.backend)) {
      candidates.splice(candidates.indexOf(policy.backend), 1);
      candidates.unshift(policy.backend);
    }
    // Fail now, not on the first call, when nothing can run: probe candidates until one is
    // available, light ones first under 'fastest' (a heavy runtime waits for a call big enough).
    const unavailable: BackendAttempt[] = [];
    let anyAvailable = false;
    const probeOrder =
      policy.kind === 'fastest'
        ? [
            ...candidates.filter((b) => !this.#pool.isHeavyUnloaded(b)),
            ...candidates.filter((b) => this.#pool.isHeavyUnloaded(b)),
          ]
        : candidates;
    for (const backend of probeOrder) {
      const acquired = await this.#pool.acquire(backend);
      if (acquired.backend !== undefined) {
        anyAvailable = true;
        break;
      }
      unavailable.push({ backend, stage: 'unavailable', reason: acquired.reason ?? 'unavailable' });
    }
    if (!anyAvailable) throw new NoBackendError(loss, [...excluded, ...unavailable]);
    return new RoutedLoss(this.#ctx, {
      loss,
      config: parsed,
      configKey: configKey(parsed),
      policy,
      policyName: formatPolicy(policy),
      candidates,
      excluded,
    });
  }

  /** Whether the conformance table (or the caller's declaration) lets `backend` run `loss` here. */
  isEligible(backend: string, loss: string): boolean {
    return this.#eligible.get(backend)?.has(canonicalLossName(loss)) ?? false;
  }

  /** Each backend's state: not loaded yet, available, or unavailable with the reason. */
  availability(): BackendAvailability[] {
    return this.#pool.availability();
  }

  /** The decisions made or imported so far. */
  decisions(): Decision[] {
    return [...this.#ctx.decisions.values()];
  }

  /** The decisions as a JSON string, for `importDecisions` in a later process or page. */
  exportDecisions(): string {
    return serializeDecisions(this.#ctx.decisions.values(), this.environment);
  }

  /**
   * Adds decisions exported before (a decision already made here is kept). Decisions made
   * in another environment are skipped. Returns how many were taken. An imported decision
   * is only used while its backend is eligible and available here; otherwise that bucket
   * is decided again.
   */
  importDecisions(json: string): { imported: number; skipped: number } {
    let imported = 0;
    let skipped = 0;
    for (const d of parseDecisions(json)) {
      const key = keyOf(d);
      if (d.environment !== this.environment || this.#ctx.decisions.has(key)) skipped++;
      else {
        this.#ctx.decisions.set(key, d);
        imported++;
      }
    }
    return { imported, skipped };
  }

  /** Forgets every decision (the next call of each bucket decides again). */
  clearDecisions(): void {
    this.#ctx.decisions.clear();
  }

  /** Releases what the loaded backends hold process-wide. Dispose the routed losses first. */
  dispose(): Promise<void> {
    return this.#pool.dispose();
  }
}

/**
 * A `builtins` list, each name checked: a name that is no built-in at all is a typo
 * (ConfigError); one built for the other environment is dropped (a shared config).
 */
function checkBuiltins(
  given: unknown,
  here: readonly string[],
  node: readonly string[],
  browser: readonly string[],
): string[] {
  if (!Array.isArray(given))
    throw new ConfigError({
      loss: 'createRouter',
      argument: 'builtins',
      expected: 'true, false or an array of built-in backend names',
      received: typeof given,
    });
  const known = new Set([...node, ...browser]);
  for (const name of given as unknown[])
    if (typeof name !== 'string' || !known.has(name))
      throw new ConfigError({
        loss: 'createRouter',
        argument: 'builtins',
        expected: `names of built-in backends (${[...known].join(', ')})`,
        received: JSON.stringify(name),
      });
  return (given as string[]).filter((b) => here.includes(b));
}

export function createRouter(options?: RouterOptions): Router {
  return new Router(options);
}

let defaultRouter: Router | undefined;

/** The router `createLoss` uses, made on first use with the default options. */
export function getDefaultRouter(): Router {
  defaultRouter ??= new Router();
  return defaultRouter;
}

/**
 * Replaces the default router (a page sets `backendOptions` with its wasm paths here,
 * before its first `createLoss`). Losses created before keep the router they had.
 */
export function configureDefaultRouter(options: RouterOptions): Router {
  defaultRouter = new Router(options);
  return defaultRouter;
}

/** `getDefaultRouter().createLoss(...)`: the one call most applications need. */
export function createLoss<N extends string>(
  name: LossNameArg<N>,
  config?: ConfigOf<N>,
  options?: CreateLossOptions,
): Promise<LossOf<N>> {
  // Only the type narrows: a literal name's loss takes exactly that loss's inputs.
  return getDefaultRouter().createLoss(name, config, options) as Promise<LossOf<N>>;
}

/** The default router's decisions as JSON. */
export function exportDecisions(): string {
  return getDefaultRouter().exportDecisions();
}

/** Imports decisions into the default router. */
export function importDecisions(json: string): { imported: number; skipped: number } {
  return getDefaultRouter().importDecisions(json);
}
