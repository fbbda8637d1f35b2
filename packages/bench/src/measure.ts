/**
 * The timing protocol, the same for every backend and the tfjs built-ins (the MXNet
 * script follows it too): prepare (compile) and a first call, timed apart; warm-up calls;
 * then tinybench samples calls until both a time budget and a minimum count are met, and
 * reports the median with min and max. A call whose second run already takes longer than
 * the slow-call limit gets the minimum number of samples and no extra warm-up, so that
 * one slow cell cannot eat the run.
 */
import { Bench } from 'tinybench';

export interface TimingSettings {
  /** tinybench's time budget per cell, in ms. */
  readonly timeMs: number;
  /** At least this many timed calls. */
  readonly minIterations: number;
  /** Untimed calls after the first, before sampling. */
  readonly warmupIterations: number;
  /** A steady call slower than this gets `slowIterations` samples and no warm-up. */
  readonly slowCallMs: number;
  readonly slowIterations: number;
}

export const FULL_TIMING: TimingSettings = {
  timeMs: 400,
  minIterations: 10,
  warmupIterations: 3,
  slowCallMs: 500,
  slowIterations: 3,
};
export const QUICK_TIMING: TimingSettings = {
  timeMs: 60,
  minIterations: 5,
  warmupIterations: 2,
  slowCallMs: 150,
  slowIterations: 3,
};

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samples: number;
  readonly firstCallMs: number;
  readonly compileMs: number;
}

/**
 * Times `call` after `prepare`. `prepare` (compile, session creation) and the first call
 * make firstCallMs; errors propagate to the caller, which marks the cell failed.
 */
export async function measure<P>(
  prepare: () => Promise<P> | P,
  call: (prepared: P) => Promise<unknown> | unknown,
  settings: TimingSettings,
  options: { readonly sync?: boolean } = {},
): Promise<{ timing: Timing; prepared: P }> {
  const t0 = performance.now();
  const prepared = await prepare();
  const t1 = performance.now();
  await call(prepared);
  const t2 = performance.now();
  await call(prepared);
  const secondMs = performance.now() - t2;
  const slow = secondMs > settings.slowCallMs;
  const bench = new Bench({
    time: slow ? 0 : settings.timeMs,
    iterations: slow ? settings.slowIterations : settings.minIterations,
    warmup: !slow && settings.warmupIterations > 0,
    warmupIterations: settings.warmupIterations,
    warmupTime: 0,
    throws: true,
  });
  // a synchronous call is timed without the microtask an async task adds to each sample
  bench.add('cell', () => call(prepared), { async: options.sync !== true });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') {
    throw new Error(`tinybench ended in state ${result.state}`);
  }
  return {
    prepared,
    timing: {
      medianMs: result.latency.p50,
      minMs: result.latency.min,
      maxMs: result.latency.max,
      samples: result.latency.samplesCount,
      firstCallMs: t2 - t0,
      compileMs: t1 - t0,
    },
  };
}

/** A promise that rejects after `ms` (a hung compile or call must not stop the run). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
