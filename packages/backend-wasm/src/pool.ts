/**
 * The worker pool of wasm-simd-mt: each worker one instance of the threaded module on the
 * backend's shared memory, with its own stack. A call hands each worker one task (a
 * kernel and its arguments), runs its own share on the calling thread, then awaits the
 * workers. Two hosts give the workers, with the same protocol and guarantees:
 *
 * - Node: `worker_threads`, evaluated from source, with an empty `execArgv` (the host's
 *   flags are not theirs), `unref`'d while idle (they never keep a process alive);
 * - browsers: Web Workers from a Blob URL (a classic worker: nothing is fetched), only in
 *   a cross-origin-isolated page, the only kind of page that can post a shared memory to
 *   a worker.
 *
 * Workers are terminated on dispose.
 */

/** One kernel call: the export's name and its (number) arguments. */
export interface KernelTask {
  readonly kernel: string;
  readonly args: readonly number[];
}

/** What a worker is started with: the module, the shared memory, the top of its own stack. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly stackTop: number;
}

/** A worker's answer: once when its instance is up (`ready`), then once per task. */
interface WorkerReply {
  readonly ok: boolean;
  readonly ready?: boolean;
  /** The worker is gone (it died or never started): the pool cannot run again. */
  readonly fatal?: boolean;
  readonly error?: string;
}

/** One worker, whatever the host. */
interface PoolWorker {
  post(task: KernelTask): void;
  /** Whether the worker may keep the host alive (Node's ref/unref; nothing in a browser). */
  hold(on: boolean): void;
  terminate(): void;
}

/** Where the workers come from. */
export interface WorkerHost {
  readonly kind: 'node' | 'browser';
  spawn(init: WorkerInit, onReply: (reply: WorkerReply) => void): PoolWorker;
}

// The worker's side of the protocol, the same in both hosts: instantiate, set the stack,
// say so, then run each task it is sent. `reply` is the host's.
const WORKER_BODY = `
let instance;
function start({ module, memory, stackTop }) {
  instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.set_stack_pointer(stackTop);
  reply({ ok: true, ready: true });
}
function runTask({ kernel, args }) {
  try {
    instance.exports[kernel](...args);
    reply({ ok: true });
  } catch (e) {
    reply({ ok: false, error: String((e && e.message) || e) });
  }
}
`;

const NODE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const reply = (message) => parentPort.postMessage(message);
${WORKER_BODY}
try {
  start(workerData);
} catch (e) {
  reply({ ok: false, fatal: true, error: String((e && e.message) || e) });
}
parentPort.on('message', runTask);
`;

const BROWSER_WORKER_SOURCE = `
const reply = (message) => self.postMessage(message);
${WORKER_BODY}
self.onmessage = ({ data }) => {
  if (instance !== undefined) return runTask(data);
  try {
    start(data);
  } catch (e) {
    reply({ ok: false, fatal: true, error: String((e && e.message) || e) });
  }
};
`;

/** What `node:worker_threads` gives us (typed here, so the module imports nothing of Node). */
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: WorkerReply) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

type NodeWorkerConstructor = new (
  source: string,
  options: { eval: true; execArgv: string[]; workerData: unknown },
) => NodeWorker;

function nodeHost(Worker: NodeWorkerConstructor): WorkerHost {
  return {
    kind: 'node',
    spawn(init, onReply) {
      const worker = new Worker(NODE_WORKER_SOURCE, { eval: true, execArgv: [], workerData: init });
      worker.on('message', onReply);
      worker.on('error', (error) => onReply({ ok: false, fatal: true, error: error.message }));
      return {
        post: (task) => worker.postMessage(task),
        hold: (on) => (on ? worker.ref() : worker.unref()),
        terminate: () => void worker.terminate(),
      };
    },
  };
}

function browserHost(): WorkerHost {
  // One small script for every worker of the process; kept for its lifetime.
  let url: string | undefined;
  return {
    kind: 'browser',
    spawn(init, onReply) {
      url ??= URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
      const worker = new Worker(url, { name: 'wasm-simd-mt' });
      worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => onReply(data);
      worker.onerror = (event) => {
        event.preventDefault(); // ours to report, not the page's
        onReply({ ok: false, fatal: true, error: event.message || 'the worker failed to start' });
      };
      worker.onmessageerror = () =>
        onReply({ ok: false, fatal: true, error: 'a message to the worker could not be read' });
      worker.postMessage(init);
      return { post: (task) => worker.postMessage(task), hold: () => undefined, terminate: () => worker.terminate() };
    },
  };
}

let host: Promise<WorkerHost> | undefined;

/**
 * The workers this environment can give, or a rejection whose message says why there
 * are none (a page that is not cross-origin isolated, a runtime without workers).
 */
export function loadWorkerHost(): Promise<WorkerHost> {
  host ??= (async (): Promise<WorkerHost> => {
    const g = globalThis as { process?: { versions?: { node?: unknown } }; crossOriginIsolated?: boolean };
    if (typeof g.process?.versions?.node === 'string') {
      // A computed specifier: bundlers leave it alone, browsers never reach it.
      const specifier = 'node:worker_threads';
      try {
        const threads = (await import(/* @vite-ignore */ specifier)) as { Worker: NodeWorkerConstructor };
        return nodeHost(threads.Worker);
      } catch (e) {
        throw new Error(`this Node has no worker_threads (${(e as Error).message})`, { cause: e });
      }
    }
    if (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL.createObjectURL !== 'function') {
      throw new Error('this environment has no Web Workers');
    }
    if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') {
      throw new Error(
        'the page is not cross-origin isolated, so it has no shared memory for threads (serve it with ' +
          "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'); " +
          'wasm-simd runs on one thread there',
      );
    }
    return browserHost();
  })();
  return host;
}

export class WorkerPool {
  readonly #workers: PoolWorker[];
  #pending: (((reply: WorkerReply) => void) | undefined)[];
  /** Settles when every worker has its instance (or one failed to start). */
  readonly ready: Promise<void>;
  #failure: Error | undefined;
  /** Tasks each worker has run, for the tests that check the work was spread. */
  readonly tasksRun: number[];

  constructor(host: WorkerHost, module: WebAssembly.Module, memory: WebAssembly.Memory, stackTops: number[]) {
    this.tasksRun = stackTops.map(() => 0);
    const started: Promise<WorkerReply>[] = [];
    this.#pending = stackTops.map(() => undefined);
    this.#workers = stackTops.map((stackTop, i) => {
      // The first reply is the worker's start; it may keep the host alive until then.
      started.push(new Promise((resolve) => (this.#pending[i] = resolve)));
      const worker = host.spawn({ module, memory, stackTop }, (reply) => {
        if (reply.fatal === true) this.#failure ??= new Error(`a wasm-simd-mt worker failed: ${reply.error ?? ''}`);
        const pending = this.#pending[i];
        this.#pending[i] = undefined;
        pending?.(reply);
      });
      worker.hold(true);
      return worker;
    });
    this.ready = Promise.all(started).then((replies) => {
      for (const w of this.#workers) w.hold(false);
      const failed = replies.find((r) => !r.ok);
      if (failed !== undefined) throw new Error(`a wasm-simd-mt worker failed to start: ${failed.error ?? ''}`);
    });
    this.ready.catch(() => undefined); // reported by the next run()
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Runs `tasks[i]` on worker i (at most one task per worker) while `own` runs here;
   * resolves when all are done, rejects with the first worker's error.
   */
  async run(tasks: readonly KernelTask[], own: () => void): Promise<void> {
    await this.ready;
    if (this.#failure !== undefined) throw this.#failure;
    const replies = tasks.map(
      (task, i) =>
        new Promise<WorkerReply>((resolve) => {
          const worker = this.#workers[i]!;
          this.#pending[i] = (reply) => {
            worker.hold(false);
            resolve(reply);
          };
          worker.hold(true);
          this.tasksRun[i]!++;
          worker.post(task);
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
    if (failed !== undefined) throw new Error(`a wasm-simd-mt worker failed: ${failed.error ?? ''}`);
  }

  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
    // a call still waiting on a worker is answered, not left hanging
    this.#pending.forEach((pending, i) => {
      this.#pending[i] = undefined;
      pending?.({ ok: false, fatal: true, error: 'the pool was shut down' });
    });
  }
}
