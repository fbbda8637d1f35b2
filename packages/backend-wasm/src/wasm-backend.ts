/** The Backend object: which losses it has and how each is compiled. */
import {
  assertSupported,
  BackendUnavailableError,
  canonicalLossName,
  type Availability,
  type Backend,
  type CompiledLoss,
  type Support,
} from '@gluon-loss/spec';
import { KernelHeap, kernelModule, WASM_BACKEND_NAME, WASM_MT_BACKEND_NAME } from './kernels.js';
import { loadWorkerHost } from './pool.js';
import { ThreadedHeap } from './threaded-heap.js';
import { LOSSES } from './loss-table.js';

const SUPPORTED: Support = Object.freeze({ supported: true });

export interface WasmBackendOptions {
  /**
   * Threads a large call is spread over, this one included: 1 or more gives the
   * `wasm-simd-mt` variant (workers over a shared memory: Node worker_threads, or Web
   * Workers in a cross-origin-isolated page; elsewhere it is unavailable and says why);
   * absent, the single-threaded `wasm-simd`.
   */
  readonly threads?: number;
}

export interface WasmBackend extends Backend {
  /** Threads of the pool, this one included (1 for wasm-simd). */
  readonly threads: number;
  /** Tasks each worker has run so far (empty for wasm-simd or before the first call). */
  workerTasks(): readonly number[];
}

export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const threaded = options.threads !== undefined;
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(`backend-wasm: threads must be an integer in [1, 64], got ${String(options.threads)}`);
  }
  const name = threaded ? WASM_MT_BACKEND_NAME : WASM_BACKEND_NAME;
  let heap: KernelHeap | undefined;
  let started: Promise<KernelHeap> | undefined;
  let availability: Promise<Availability> | undefined;

  const startThreaded = async (): Promise<KernelHeap> => {
    // The host first: a page without isolation never fetches the threaded module.
    const host = await loadWorkerHost().catch((e: unknown) => {
      throw new BackendUnavailableError(name, (e as Error).message, e);
    });
    const threadedHeap = new ThreadedHeap(await kernelModule(true), host, threads);
    try {
      await threadedHeap.warmUp();
    } catch (e) {
      threadedHeap.release();
      throw new BackendUnavailableError(name, (e as Error).message, e);
    }
    return threadedHeap;
  };
  // Once per backend, even when probe() and compile() ask at the same time.
  const start = (): Promise<KernelHeap> =>
    (started ??= (threaded ? startThreaded() : kernelModule().then((m) => new KernelHeap(m))).then((h) => (heap = h)));

  const backend: WasmBackend = {
    name,
    environments: ['node', 'browser'],
    threads,
    workerTasks: () => [...(heap?.poolTasks() ?? [])],
    probe: () =>
      (availability ??= start().then(
        (): Availability => ({ available: true }),
        (e: unknown): Availability => ({ available: false, reason: (e as Error).message }),
      )),
    // Every loss, every option.
    supports: () => SUPPORTED,
    compile: async (loss: string, config?: unknown): Promise<CompiledLoss> => {
      const canonical = canonicalLossName(loss);
      const kernels = await start();
      // The constructor parses the config (ConfigError) before anything is allocated.
      const compiled = new LOSSES[canonical](config, kernels);
      assertSupported(backend, canonical, compiled.config);
      return compiled;
    },
    dispose: async () => {
      heap?.release();
    },
  };
  return backend;
}

/** Threads wasm-simd-mt takes when none are asked for: the cores the host reports, at most 8. */
export async function defaultThreads(): Promise<number> {
  const host = globalThis as {
    process?: { versions?: { node?: unknown } };
    navigator?: { hardwareConcurrency?: number };
  };
  let cores = host.navigator?.hardwareConcurrency;
  if (typeof host.process?.versions?.node === 'string') {
    const specifier = 'node:os'; // computed: bundlers leave it alone, browsers never reach it
    const os = (await import(/* @vite-ignore */ specifier)) as { availableParallelism(): number };
    cores = os.availableParallelism();
  }
  return Math.max(1, Math.min(8, typeof cores === 'number' && cores > 0 ? cores : 1));
}
