/**
 * Loading onnxruntime for one variant and creating sessions on exactly one execution
 * provider. Which module a variant imports is its entry point's choice (`ort/*.ts`), so a
 * bundle holds only the runtimes its entry can load. The Node-only modules
 * (`onnxruntime-node`, `node:os`, onnxruntime-web's node build) are imported through
 * specifiers a bundler does not follow, and only after `currentEnvironment()` says Node,
 * so a browser bundle of this package never pulls them in.
 */
import type * as ort from 'onnxruntime-common';
import { LruCache, currentEnvironment, type LruLimits } from '@gluon-loss/spec';
import type { CtcRecursion, GraphMode } from './loss-graph.js';

export type OnnxVariant = 'wasm' | 'webgpu' | 'node';

/** What a compiled loss reports when it creates or releases a session. */
export interface SessionEvent {
  readonly type: 'created' | 'released';
  readonly backend: string;
  readonly loss: string;
  readonly mode: GraphMode;
  /** The cache key: mode and every input's dtype and shape. */
  readonly key: string;
  readonly nodeCount: number;
  /** The op types of the graph, for a placement check against the EP's kernels. */
  readonly opTypes: readonly string[];
  /** Milliseconds spent building the graph and creating the session ('created' only). */
  readonly createMs?: number;
}

export interface OnnxBackendOptions {
  /** Where a page serves onnxruntime-web's .wasm/.mjs files (`ort.env.wasm.wasmPaths`). */
  readonly wasmPaths?: ort.Env.WasmPrefixOrFilePaths;
  /**
   * Threads: `ort.env.wasm.numThreads` (wasm, webgpu) or `intraOpNumThreads` (node).
   * Default: the cores available, at most 4 (a browser without cross-origin isolation
   * cannot run wasm threads, so it gets 1).
   */
  readonly numThreads?: number;
  /**
   * ORT's log severity for sessions (and `ort.env.logLevel`): 0 is verbose and logs which
   * EP each node is placed on ("All nodes placed on [WebGpuExecutionProvider]"). Default 3.
   */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** CTC's alpha/beta recursions: unrolled ops or a Scan. Default: the faster per EP. */
  readonly ctcRecursion?: CtcRecursion;
  /**
   * Log guarded for x <= 0 so -inf and NaN come out as in MXNet. Default: on for webgpu
   * (its Log is not IEEE there), off for the CPU EPs (theirs is).
   */
  readonly guardLog?: boolean;
  /**
   * Sums and means as MXNet's float32 sum computes them: in order, and ±Inf for good once
   * a partial sum overflows (float64 prefix sums). Default: on for the CPU EPs, off for
   * webgpu (no float64 there; it refuses the values that could overflow).
   */
  readonly float32Sum?: boolean;
  /** Called when a compiled loss creates or releases a session (tests, placement checks). */
  readonly onSession?: (event: SessionEvent) => void;
  /**
   * The sessions this backend keeps, over all its compiled losses: least recently used
   * first out past `maxEntries` sessions or `maxBytes` of their models (default 64 and
   * 64 MiB). A session in a run is never evicted; an evicted one is created again on its
   * next use.
   */
  readonly sessionCache?: Partial<LruLimits>;
  /**
   * onnx-node: a session whose call moves fewer elements than this runs on the calling
   * thread alone (`intraOpNumThreads: 1`, no thread pool of its own): a small call gains
   * nothing from threads, and each session's pool is its own (onnxruntime-node has no
   * global one). Default 2^18 (1 MiB of float32).
   */
  readonly singleThreadBelow?: number;
  /** onnx-node: at most this many live sessions get a thread pool (default 4); others run single-threaded. */
  readonly maxThreadedSessions?: number;
}

export const DEFAULT_SESSION_LIMITS: LruLimits = Object.freeze({ maxEntries: 64, maxBytes: 64 * 2 ** 20 });
export const DEFAULT_SINGLE_THREAD_BELOW = 1 << 18;
export const DEFAULT_MAX_THREADED_SESSIONS = 4;

/** A cached session, as the backend-wide LRU holds it. */
export interface SessionSlot {
  /** The compiled loss that made it; told when the LRU evicts it. */
  readonly owner: { evicted(key: string): void };
  readonly key: string;
}

/** The part of the onnxruntime-web / onnxruntime-node module API used here (the same in both). */
export interface OrtModule {
  readonly Tensor: typeof ort.Tensor;
  readonly InferenceSession: typeof ort.InferenceSession;
  readonly env: ort.Env;
}

export interface OnnxRuntime {
  readonly variant: OnnxVariant;
  /** The one EP every session of this variant is created with. */
  readonly executionProvider: 'wasm' | 'webgpu' | 'cpu';
  readonly numThreads: number;
  /** Every compiled loss's sessions, one LRU per backend (see `sessionCache`). */
  readonly sessions: LruCache<string, SessionSlot>;
  /**
   * A session for a call moving `elements` elements; `threads` says how many intra-op
   * threads it got (1 for a small call, or when `maxThreadedSessions` are live).
   */
  createSession(model: Uint8Array, elements?: number): Promise<{ session: ort.InferenceSession; threads: number }>;
  /** A session created with `threads` was released. */
  sessionReleased(threads: number): void;
  /** Wraps a typed array without copying it. */
  tensor(data: Float32Array | Int32Array, shape: readonly number[]): ort.Tensor;
  /** Runs one session call at a time per runtime (ORT's wasm instance is single-entry). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

const LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
const MAX_DEFAULT_THREADS = 4;

/** A bundler leaves `import(specifier)` alone when the specifier is not a literal. */
export async function importNodeOnly<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ specifier)) as T;
}

/** Whether this Node process runs with `--input-type` (which its Workers would inherit and reject). */
function inheritsInputType(): boolean {
  const argv = (globalThis as { process?: { execArgv?: readonly string[] } }).process?.execArgv ?? [];
  return argv.some((a) => a === '--input-type' || a.startsWith('--input-type='));
}

async function availableCores(): Promise<number> {
  if (currentEnvironment() === 'node') {
    const os = await importNodeOnly<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return g.crossOriginIsolated === true ? (g.navigator?.hardwareConcurrency ?? 1) : 1;
}

/**
 * Imports the ORT module of a variant, or rejects with why it cannot run here. Each entry
 * point of this package passes its own (`ort-modules.ts`), so that a bundle holds the
 * onnxruntime-web builds of the variants it can load and no others.
 */
export type OrtImporter = (variant: OnnxVariant) => Promise<OrtModule>;

/**
 * The importer of an entry point that bundles one variant's runtime: any other variant
 * is unavailable, with the entry to import instead.
 */
export function onlyVariant(only: OnnxVariant, importOrt: () => Promise<OrtModule>, entry: string): OrtImporter {
  return async (variant) => {
    if (variant !== only)
      throw new Error(
        `${entry} brings onnxruntime for onnx-${only} only; an app that wants onnx-${variant} imports @gluon-loss/backend-onnx (every variant) or @gluon-loss/backend-onnx/${variant}`,
      );
    return importOrt();
  };
}

/** Loads the variant's ORT module and configures it; rejects with the reason it cannot run. */
export async function loadRuntime(
  variant: OnnxVariant,
  options: OnnxBackendOptions,
  importOrt: OrtImporter,
): Promise<OnnxRuntime> {
  const mod = await importOrt(variant);
  // onnxruntime-web's wasm threads are Workers, which inherit the process's execArgv: under
  // `node --input-type=module -e ...` each Worker fails to start (ERR_INPUT_TYPE_NOT_ALLOWED)
  // and takes the process down. There wasm runs single-threaded: no Worker is started.
  const workersCannotStart = variant === 'wasm' && currentEnvironment() === 'node' && inheritsInputType();
  const numThreads = workersCannotStart
    ? 1
    : Math.max(1, Math.floor(options.numThreads ?? Math.min(await availableCores(), MAX_DEFAULT_THREADS)));
  if (options.logSeverityLevel !== undefined) mod.env.logLevel = LOG_LEVELS[options.logSeverityLevel];
  if (variant !== 'node') {
    // Read once, when the first session initialises the wasm instance.
    mod.env.wasm.numThreads = numThreads;
    if (options.wasmPaths !== undefined) mod.env.wasm.wasmPaths = options.wasmPaths;
  }
  const executionProvider = variant === 'node' ? 'cpu' : variant;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
    ...(variant === 'node'
      ? {
          intraOpNumThreads: numThreads,
          interOpNumThreads: 1,
          // Each session owns its thread pool; spinning pools of many cached sessions would
          // starve each other (measured: the conformance run went from 4 s to 35 s).
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        }
      : {}),
  };
  let queue: Promise<unknown> = Promise.resolve();
  const singleThreadBelow = options.singleThreadBelow ?? DEFAULT_SINGLE_THREAD_BELOW;
  const maxThreaded = options.maxThreadedSessions ?? DEFAULT_MAX_THREADED_SESSIONS;
  let threadedLive = 0;
  const sessions = new LruCache<string, SessionSlot>(
    { ...DEFAULT_SESSION_LIMITS, ...options.sessionCache },
    (key, slot) => slot.owner.evicted(key),
  );
  return {
    variant,
    executionProvider,
    numThreads,
    sessions,
    async createSession(model, elements = 0) {
      const threaded =
        variant === 'node' && numThreads > 1 && elements >= singleThreadBelow && threadedLive < maxThreaded;
      const threads = threaded ? numThreads : variant === 'node' ? 1 : numThreads;
      if (threaded) threadedLive++;
      try {
        const session = await mod.InferenceSession.create(
          model,
          variant === 'node' ? { ...sessionOptions, intraOpNumThreads: threads } : sessionOptions,
        );
        return { session, threads };
      } catch (e) {
        if (threaded) threadedLive--;
        throw e;
      }
    },
    sessionReleased(threads) {
      if (variant === 'node' && threads > 1) threadedLive--;
    },
    tensor: (data, shape) => new mod.Tensor(data instanceof Int32Array ? 'int32' : 'float32', data, shape),
    exclusive<T>(work: () => Promise<T>): Promise<T> {
      const run = queue.then(work, work);
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
