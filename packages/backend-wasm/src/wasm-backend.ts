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
import { loadWorkerConstructor } from './pool.js';
import { ThreadedHeap } from './threaded-heap.js';
import { LOSSES } from './loss-table.js';

const SUPPORTED: Support = Object.freeze({ supported: true });

export interface WasmBackendOptions {
  /**
   * Threads a large call is spread over, this one included: 1 or more gives the
   * `wasm-simd-mt` variant (Node worker_threads over a shared memory); absent, the
   * single-threaded `wasm-simd`.
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
  let availability: Promise<Availability> | undefined;

  const start = async (): Promise<KernelHeap> => {
    if (heap !== undefined) return heap;
    const module = await kernelModule(threaded);
    if (!threaded) return (heap = new KernelHeap(module));
    const Worker = await loadWorkerConstructor();
    if (Worker === undefined) {
      throw new BackendUnavailableError(name, 'it needs Node worker_threads (browsers: not yet)');
    }
    if (typeof SharedArrayBuffer === 'undefined') {
      throw new BackendUnavailableError(name, 'this environment has no SharedArrayBuffer');
    }
    return (heap = new ThreadedHeap(module, Worker, threads));
  };

  const backend: WasmBackend = {
    name,
    environments: threaded ? ['node'] : ['node', 'browser'],
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
