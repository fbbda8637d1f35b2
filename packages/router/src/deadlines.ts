/**
 * Deadlines: how long the router waits for each thing it asks of a backend before it
 * abandons that backend for the call and moves on to the next candidate. Every load and
 * probe, compile and call the router makes runs under one. A backend that misses one is
 * a fault (`explain().faults`, with the deadline in its message); whatever it produces
 * later is dropped (a late compiled loss is disposed). A missed load/probe deadline
 * leaves the backend unavailable for this router (it never said it could run).
 *
 * A deadline cannot pre-empt JavaScript that never yields (a synchronous loop of a
 * backend running on the main thread): it fires when that code returns. Only
 * asynchronous hangs (a promise that never settles, a worker that never answers) are
 * cut short. A backend behind a lock (tfjs's engine lock, ORT's one-run-at-a-time queue)
 * whose abandoned call still holds it keeps waiting for that call: the lock is never
 * broken, so the next backend on the same lock misses its deadline too, and the call goes
 * on to a backend outside it.
 *
 * Deadlines run on `setTimeout` and `Date.now()` (vitest's fake timers drive both in the
 * tests); the calibration clock is separate.
 */
import { ConfigError } from '@gluon-loss/spec';

export interface Deadlines {
  /** Importing a backend's package and its `probe()` (default 30 s: a first wasm compile, a GPU adapter). */
  readonly loadMs: number;
  /** `backend.compile(loss, config)` (default 30 s). */
  readonly compileMs: number;
  /**
   * One call (forward or forwardBackward), its session or kernel creation included
   * (default 120 s: 50M elements on tfjs-cpu take tens of seconds).
   */
  readonly callMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = Object.freeze({ loadMs: 30_000, compileMs: 30_000, callMs: 120_000 });

export type Phase = 'load' | 'compile' | 'call';

/** A backend did not settle within its deadline: the router stops waiting for it. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(
    readonly backend: string,
    readonly phase: Phase,
    readonly ms: number,
  ) {
    super(`${backend} did not settle its ${phase} within the ${ms} ms deadline; abandoned, any late result is dropped`);
  }
}

export function isDeadlineError(e: unknown): e is DeadlineError {
  return e instanceof DeadlineError;
}

interface Watched {
  readonly expiresAt: number;
  readonly expire: () => void;
}

/**
 * One timer for every deadline in flight, not one per call: a call costs a clock read and
 * a Set entry (a setTimeout/clearTimeout pair per call cost 10-15 us on a busy machine,
 * more than the rest of the router's dispatch). The timer is armed for the earliest
 * deadline; when it fires it expires what is due and re-arms for the next. It is unref'd
 * in Node, so it never keeps a process alive. Its clock is `Date.now()` (deadlines are
 * seconds; the fake timers of the tests move it too).
 */
class Watchdog {
  readonly #watched = new Set<Watched>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;

  add(entry: Watched): void {
    this.#watched.add(entry);
    if (entry.expiresAt < this.#armedFor) this.#arm(entry.expiresAt);
  }

  delete(entry: Watched): void {
    this.#watched.delete(entry);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const entry of this.#watched) {
      if (entry.expiresAt <= now) {
        this.#watched.delete(entry);
        entry.expire();
      } else next = Math.min(next, entry.expiresAt);
    }
    if (next < Infinity) this.#arm(next);
  }
}

const watchdog = new Watchdog();

/**
 * `work`'s outcome, or a DeadlineError after `ms`. When the deadline wins, `onLate` gets
 * the value `work` resolves with later (so it can be released); a late rejection is
 * swallowed. `ms` of Infinity means no deadline.
 */
export function withDeadline<T>(
  work: Promise<T>,
  backend: string,
  phase: Phase,
  ms: number,
  onLate?: (value: T) => void,
): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const entry: Watched = {
      expiresAt: Date.now() + ms,
      expire: () => {
        if (settled) return;
        settled = true;
        reject(new DeadlineError(backend, phase, ms));
      },
    };
    watchdog.add(entry);
    work.then(
      (value) => {
        if (settled) {
          onLate?.(value);
          return;
        }
        settled = true;
        watchdog.delete(entry);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return; // late: nobody is waiting for it
        settled = true;
        watchdog.delete(entry);
        reject(error);
      },
    );
  });
}

/** Checks caller-given deadlines: positive numbers (Infinity turns one off). */
export function parseDeadlines(given: Partial<Deadlines> | undefined): Deadlines {
  const out = { ...DEFAULT_DEADLINES, ...given };
  for (const key of ['loadMs', 'compileMs', 'callMs'] as const) {
    const v = out[key];
    if (typeof v !== 'number' || Number.isNaN(v) || v <= 0)
      throw new ConfigError({
        loss: 'createRouter',
        argument: `deadlines.${key}`,
        expected: 'a positive number of milliseconds (Infinity: no deadline)',
        received: String(v),
      });
  }
  return Object.freeze(out);
}
