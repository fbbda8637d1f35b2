/**
 * The worker pool of wasm-simd-mt: Node `worker_threads`, each worker one instance of the
 * threaded module on the backend's shared memory, with its own stack. A call hands each
 * worker one task (a kernel and its arguments), runs its own share on the calling
 * thread, then awaits the workers. Workers get an empty `execArgv` (the host's flags are
 * not theirs), are `unref`'d while idle (they never keep a process alive) and are
 * terminated on dispose.
 */

/** One kernel call: the export's name and its (number) arguments. */
export interface KernelTask {
  readonly kernel: string;
  readonly args: readonly number[];
}

/** What `node:worker_threads` gives us (typed here, so the module imports nothing of Node). */
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: WorkerReply) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerConstructor = new (
  source: string,
  options: { eval: true; execArgv: string[]; workerData: unknown },
) => NodeWorker;

interface WorkerReply {
  readonly ok: boolean;
  readonly error?: string;
}

// Plain JavaScript, evaluated as the worker's script.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, stackTop } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.set_stack_pointer(stackTop);
parentPort.on('message', ({ kernel, args }) => {
  try {
    instance.exports[kernel](...args);
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String((e && e.message) || e) });
  }
});
`;

let workerConstructor: Promise<WorkerConstructor | undefined> | undefined;

/** Node's Worker class, or undefined outside Node. */
export function loadWorkerConstructor(): Promise<WorkerConstructor | undefined> {
  workerConstructor ??= (async () => {
    const host = globalThis as { process?: { versions?: { node?: unknown } } };
    if (typeof host.process?.versions?.node !== 'string') return undefined;
    // A computed specifier: bundlers leave it alone, browsers never reach it.
    const specifier = 'node:worker_threads';
    const threads = (await import(/* @vite-ignore */ specifier)) as { Worker: WorkerConstructor };
    return threads.Worker;
  })().catch(() => undefined);
  return workerConstructor;
}

export class WorkerPool {
  readonly #workers: NodeWorker[];
  #pending: ((reply: WorkerReply) => void)[] = [];
  #failure: Error | undefined;
  /** Tasks each worker has run, for the tests that check the work was spread. */
  readonly tasksRun: number[];

  constructor(Worker: WorkerConstructor, module: WebAssembly.Module, memory: WebAssembly.Memory, stackTops: number[]) {
    this.tasksRun = stackTops.map(() => 0);
    this.#workers = stackTops.map((stackTop, i) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory, stackTop } });
      worker.on('message', (reply) => this.#pending[i]?.(reply));
      worker.on('error', (error) => {
        this.#failure = error;
        this.#pending[i]?.({ ok: false, error: error.message });
      });
      worker.unref();
      return worker;
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Runs `tasks[i]` on worker i (at most one task per worker) while `own` runs here;
   * resolves when all are done, rejects with the first worker's error.
   */
  async run(tasks: readonly KernelTask[], own: () => void): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const replies = tasks.map(
      (task, i) =>
        new Promise<WorkerReply>((resolve) => {
          const worker = this.#workers[i]!;
          this.#pending[i] = (reply) => {
            this.#pending[i] = undefined as never;
            worker.unref();
            resolve(reply);
          };
          worker.ref();
          this.tasksRun[i]!++;
          worker.postMessage(task);
        }),
    );
    let ownError: unknown;
    try {
      own();
    } catch (e) {
      ownError = e;
    }
    const done = await Promise.all(replies);
    if (ownError !== undefined) throw ownError;
    const failed = done.find((r) => !r.ok);
    if (failed !== undefined) throw new Error(`a wasm-simd-mt worker failed: ${failed.error}`);
  }

  terminate(): void {
    for (const worker of this.#workers) void worker.terminate();
    this.#workers.length = 0;
  }
}
