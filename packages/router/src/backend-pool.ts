/**
 * The backends a router knows, loaded on first use. A built-in backend's package is
 * imported only when a loss that it may run first needs it; loading and `probe()` happen
 * once, under the load deadline, and a backend that fails either (or misses the deadline)
 * is recorded with its reason and never tried again by this router. A built-in backend
 * that is *lost* (its device gone, its wasm instance aborted) is lost for the process:
 * every router's pool sees it unavailable, since they share its one runtime.
 */
import type { BackendOptions } from '@gluon-loss/backends';
import type { Backend } from '@gluon-loss/spec';
import type { Clock } from './calibration.js';
import { withDeadline } from './deadlines.js';
import { describeError } from './errors.js';

/** Built-in backends lost in this process, with the reason (their runtimes are process-wide). */
const LOST_BUILTINS = new Map<string, string>();

export type BackendLoader = (name: string, options?: BackendOptions) => Promise<Backend>;

export type AvailabilityState = 'not loaded' | 'available' | 'unavailable';

export interface BackendAvailability {
  readonly backend: string;
  readonly source: 'builtin' | 'injected';
  readonly state: AvailabilityState;
  readonly reason?: string;
  /** Loading and probing it took (ms); absent before it was loaded. */
  readonly loadMs?: number;
}

interface Slot {
  readonly name: string;
  readonly source: 'builtin' | 'injected';
  readonly injected?: Backend;
  pending?: Promise<Backend | undefined>;
  backend?: Backend;
  state: AvailabilityState;
  reason?: string;
  loadMs?: number;
}

export interface Acquired {
  /** The loaded, probed backend; undefined when it cannot run here. */
  readonly backend: Backend | undefined;
  /** The load and probe time when this call did the loading; null when it was loaded before. */
  readonly loadMs: number | null;
  readonly reason?: string;
  /** The load or probe missed its deadline (a fault for the caller to record). */
  readonly fault?: unknown;
}

export class BackendPool {
  readonly #slots = new Map<string, Slot>();

  constructor(
    builtins: readonly string[],
    injected: readonly Backend[],
    readonly options: {
      readonly loader: BackendLoader;
      readonly backendOptions: (name: string) => BackendOptions | undefined;
      readonly clock: Clock;
      /** The load-and-probe deadline (ms). */
      readonly loadMs: number;
      /** Whether a built-in backend's runtime is heavy (`BackendEntry.heavy`); injected ones never are. */
      readonly heavy?: (name: string) => boolean;
      /**
       * Why a built-in backend that is not loaded yet cannot load here, told without loading
       * it (its packages are not installed), for `availability()`.
       */
      readonly missingPackages?: (name: string) => string | undefined;
    },
  ) {
    // An injected backend replaces a built-in of the same name (it is what the caller wants run).
    for (const backend of injected)
      this.#slots.set(backend.name, { name: backend.name, source: 'injected', injected: backend, state: 'not loaded' });
    for (const name of builtins)
      if (!this.#slots.has(name)) this.#slots.set(name, { name, source: 'builtin', state: 'not loaded' });
  }

  /** Every backend name, injected first, then built-ins in the registry's order. */
  names(): string[] {
    return [...this.#slots.keys()];
  }

  has(name: string): boolean {
    return this.#slots.has(name);
  }

  sourceOf(name: string): 'builtin' | 'injected' | undefined {
    return this.#slots.get(name)?.source;
  }

  /**
   * A built-in backend with a heavy runtime that nothing has loaded yet: what a small
   * call does not load (see cost-model.ts). Once loaded (or being loaded) it is not.
   */
  isHeavyUnloaded(name: string): boolean {
    const slot = this.#slots.get(name);
    return (
      slot !== undefined &&
      slot.source === 'builtin' &&
      slot.state === 'not loaded' &&
      slot.pending === undefined &&
      this.options.heavy?.(name) === true
    );
  }

  /** The backend, loading and probing it on first use (never twice). */
  async acquire(name: string): Promise<Acquired> {
    const slot = this.#slots.get(name);
    if (slot === undefined) return { backend: undefined, loadMs: null, reason: 'unknown to this router' };
    if (slot.state !== 'not loaded' && slot.pending === undefined) {
      return { backend: slot.backend, loadMs: null, ...(slot.reason !== undefined ? { reason: slot.reason } : {}) };
    }
    if (slot.pending !== undefined) {
      const backend = await slot.pending;
      return { backend, loadMs: null, ...(slot.reason !== undefined ? { reason: slot.reason } : {}) };
    }
    const lost = slot.source === 'builtin' ? LOST_BUILTINS.get(name) : undefined;
    if (lost !== undefined) {
      this.#fail(slot, lost);
      return { backend: undefined, loadMs: null, reason: lost };
    }
    const start = this.options.clock();
    let fault: unknown;
    slot.pending = withDeadline(this.#load(slot), name, 'load', this.options.loadMs).catch((e: unknown) => {
      fault = e;
      return this.#fail(slot, describeError(e));
    });
    const backend = await slot.pending;
    slot.pending = undefined;
    slot.loadMs = this.options.clock() - start;
    return {
      backend,
      loadMs: slot.loadMs,
      ...(slot.reason !== undefined ? { reason: slot.reason } : {}),
      ...(fault !== undefined ? { fault } : {}),
    };
  }

  /** Marks a backend lost (device or context gone, runtime aborted): no router tries it again in this process. */
  markLost(name: string, reason: string): void {
    const slot = this.#slots.get(name);
    if (slot === undefined) return;
    if (slot.source === 'builtin') LOST_BUILTINS.set(name, reason);
    this.#fail(slot, reason);
    slot.backend = undefined;
  }

  isUnavailable(name: string): boolean {
    const slot = this.#slots.get(name);
    if (slot === undefined) return false;
    if (slot.state !== 'unavailable' && slot.source === 'builtin' && LOST_BUILTINS.has(name))
      this.#fail(slot, LOST_BUILTINS.get(name)!);
    return slot.state === 'unavailable';
  }

  availability(): BackendAvailability[] {
    for (const name of this.#slots.keys()) this.isUnavailable(name); // lost elsewhere in the process
    // A backend not needed yet whose packages are not installed: say so, with what to install.
    for (const slot of this.#slots.values()) {
      if (slot.source !== 'builtin' || slot.state !== 'not loaded' || slot.pending !== undefined) continue;
      const reason = this.options.missingPackages?.(slot.name);
      if (reason !== undefined) this.#fail(slot, reason);
    }
    return [...this.#slots.values()].map((s) => ({
      backend: s.name,
      source: s.source,
      state: s.state,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.loadMs !== undefined ? { loadMs: s.loadMs } : {}),
    }));
  }

  /** Releases what every loaded backend holds process-wide; a later use loads it again. */
  async dispose(): Promise<void> {
    for (const slot of this.#slots.values()) {
      if (slot.state !== 'available') continue; // an unavailable backend stays so
      const backend = slot.backend;
      slot.backend = undefined;
      slot.state = 'not loaded';
      if (backend?.dispose !== undefined) {
        try {
          await backend.dispose();
        } catch {
          // a backend that cannot release has nothing more we can do for it
        }
      }
    }
  }

  async #load(slot: Slot): Promise<Backend | undefined> {
    let backend: Backend;
    try {
      backend = slot.injected ?? (await this.options.loader(slot.name, this.options.backendOptions(slot.name)));
    } catch (e) {
      return this.#fail(slot, describeError(e));
    }
    let availability;
    try {
      availability = await backend.probe();
    } catch (e) {
      return this.#fail(slot, `probe() threw: ${describeError(e)}`);
    }
    if (!availability.available) return this.#fail(slot, availability.reason);
    // Settled after its deadline (or lost meanwhile): the late answer is dropped.
    if (slot.state === 'unavailable') return undefined;
    slot.state = 'available';
    slot.backend = backend;
    return backend;
  }

  #fail(slot: Slot, reason: string): undefined {
    slot.state = 'unavailable';
    slot.reason = reason;
    return undefined;
  }
}
