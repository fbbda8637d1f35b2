/**
 * The tfjs backends behind the variants, and the one global they share. tfjs keeps a
 * single *active* backend per process (`tf.setBackend`), and every op runs on it, so
 * several variants living in one process (the conformance runner runs tfjs-cpu and
 * tfjs-wasm side by side) take turns: each call queues on one process-wide lock,
 * activates its own tfjs backend, and builds and runs its graph synchronously before
 * the lock passes on. Reading results back may happen outside the lock, because a
 * tensor is read (and disposed) through the backend that owns it, whichever is active.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BackendFailureError,
  currentEnvironment,
  isGluonLossError,
  type Availability,
  type CanonicalLossName,
  type Environment,
  type FloatTensor,
} from '@gluon-loss/spec';
import { configureWasmFiles, type WasmPaths } from './wasm-files.js';

export type TfjsVariant = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

export const TFJS_VARIANTS: readonly TfjsVariant[] = ['cpu', 'wasm', 'webgl', 'webgpu'];

export const VARIANT_ENVIRONMENTS: Readonly<Record<TfjsVariant, readonly Environment[]>> = {
  cpu: ['node', 'browser'],
  wasm: ['node', 'browser'],
  webgl: ['browser'],
  webgpu: ['browser'],
};

export interface TfjsBackendOptions {
  /**
   * wasm only: where the page serves `@tensorflow/tfjs-backend-wasm`'s `.wasm` files, as
   * tfjs's `setWasmPaths` takes it: a folder URL ending in `/`, or a map from each file
   * name to its URL (what a bundler's `?url` imports give). In Node the default is the
   * installed package's `dist/` folder, found without any download.
   */
  readonly wasmPaths?: WasmPaths;
}

let lockTail: Promise<unknown> = Promise.resolve();

/**
 * Host neutrality: the application's own tfjs state is put back after each turn on the
 * engine. The active backend it had (`tf.setBackend('cpu')`) is re-activated (a switch
 * to an initialised backend is synchronous), and flags this package sets (the wasm
 * build's thread support) are restored. When the application never chose a backend
 * there is nothing to restore: tfjs then keeps the last one activated, as it would have
 * picked a registered backend itself on its first op.
 */
function hostState(): { readonly backend: string | null; readonly flags: Record<string, unknown> } {
  const engine = tf.engine() as unknown as { backendName: string | null };
  return { backend: engine.backendName ?? null, flags: { ...tf.env().getFlags() } };
}

function restoreHost(before: ReturnType<typeof hostState>): void {
  const flags = tf.env().getFlags() as Record<string, unknown>;
  for (const name of HOST_FLAGS) {
    if (!(name in before.flags))
      delete flags[name]; // evaluated again on the app's first read
    else if (flags[name] !== before.flags[name]) tf.env().set(name, before.flags[name] as boolean);
  }
  // Only an initialised backend: a failed one (or one still initialising) is not in effect, and
  // `tf.findBackend` would start initialising it again, so the engine's registry is read.
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (before.backend !== null && tf.getBackend() !== before.backend && registry[before.backend] !== undefined)
    void tf.setBackend(before.backend);
}

/** The flags this package sets for its own use, put back afterwards. */
const HOST_FLAGS = ['WASM_HAS_MULTITHREAD_SUPPORT', 'IS_TEST'] as const;

/**
 * Runs `fn` alone among this package's users of the tfjs engine, then puts the host's
 * tfjs state back. Everything between activating a backend and the last op of a call
 * runs inside; never nest it.
 */
export function exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
  const run = lockTail.then(async () => {
    const before = hostState();
    try {
      return await fn();
    } finally {
      restoreHost(before);
    }
  });
  lockTail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** tfjs's backends are process-wide, so their initialisation is too: once per variant. */
const initialisations = new Map<TfjsVariant, Promise<Availability>>();

/**
 * Initialises the variant's tfjs backend once per process and says whether it runs here.
 * Never rejects. The options of the first caller for a variant win (tfjs configures its
 * wasm files once).
 */
export function initialiseVariant(variant: TfjsVariant, options: TfjsBackendOptions): Promise<Availability> {
  let pending = initialisations.get(variant);
  if (pending === undefined) {
    pending = exclusive(() => initialise(variant, options)).catch((e: unknown) => unavailable(describeError(e)));
    initialisations.set(variant, pending);
  }
  return pending;
}

/**
 * Makes the variant's backend the active one. Call it inside `exclusive`, after the
 * variant initialised, and create no tensor before it resolves.
 */
export async function activate(variant: TfjsVariant): Promise<void> {
  // setBackend switches synchronously for an initialised backend; the loop guards
  // against code outside this package switching while we awaited.
  for (let attempt = 0; tf.getBackend() !== variant; attempt++) {
    if (attempt === 3 || !(await tf.setBackend(variant))) {
      throw new Error(`tf.setBackend('${variant}') did not make it the active tfjs backend`);
    }
  }
}

async function initialise(variant: TfjsVariant, options: TfjsBackendOptions): Promise<Availability> {
  const environment = currentEnvironment();
  if (!VARIANT_ENVIRONMENTS[variant].includes(environment)) {
    return unavailable(`tfjs-${variant} runs only in a browser, and this is ${environment}`);
  }
  if (variant === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The threaded build fails in Node (ERR_WORKER_PATH on a blob: URL) and hangs forever in
    // a cross-origin-isolated page (its inline worker cannot load a bundled script), so the
    // single-threaded SIMD build is used everywhere.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    // Once tfjs has a wasm backend instance its files are loaded; setting paths again throws.
    if (tf.findBackend('wasm') === null) await configureWasmFiles(wasm, options.wasmPaths, environment);
  }
  if (variant === 'webgpu') {
    const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
    if (gpu === undefined) return unavailable('this browser exposes no WebGPU (navigator.gpu is missing)');
    // tfjs fails on a null adapter with a TypeError about 'features'; say what happened.
    if ((await gpu.requestAdapter()) === null) {
      return unavailable(
        'navigator.gpu.requestAdapter() found no adapter (headless Chromium needs --enable-unsafe-webgpu)',
      );
    }
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (tf.findBackendFactory(variant) === null) {
    return unavailable(`tfjs has no '${variant}' backend registered here`);
  }
  const { result: switched, warnings } = await capturingWarnings(() => tf.setBackend(variant));
  if (!switched) {
    return unavailable(
      `tf.setBackend('${variant}') failed${warnings.length > 0 ? `: ${summariseWarnings(warnings)}` : ''}`,
    );
  }
  for (const w of warnings) console.warn(w);
  if (variant === 'cpu') writeFirstCpuTensorQuietly();
  // A first op proves the kernels run (a WebGL context can exist and still fail to compile).
  const probe = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.scalar(1)));
  try {
    const values = await probe.data();
    if (values[0] !== 2 || values[1] !== 3)
      return unavailable(`tfjs-${variant} computed 1 + [1, 2] as [${Array.from(values).join(', ')}]`);
  } finally {
    probe.dispose();
  }
  return { available: true };
}

/**
 * tfjs's cpu backend prints a banner recommending tfjs-node on its first tensor in Node
 * (tfjs-node cannot install here, and the advice is noise in a test log). tfjs's `warn`
 * is silent while the IS_TEST flag is set, so the first write happens under it.
 */
function writeFirstCpuTensorQuietly(): void {
  const flags = tf.env();
  const wasTest = flags.getBool('IS_TEST');
  flags.set('IS_TEST', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    flags.set('IS_TEST', wasTest);
  }
}

/**
 * tfjs reports a failed backend initialisation only with console.warn (and a `false`
 * from setBackend); the warnings are caught so that the reason reaches probe().
 */
async function capturingWarnings<T>(fn: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  try {
    return { result: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

/** tfjs and emscripten repeat one failure several times, with stacks: keep each line once. */
function summariseWarnings(warnings: readonly string[]): string {
  const lines = warnings.flatMap((w) => w.split('\n')).map((l) => l.trim());
  const distinct = [...new Set(lines.filter((l) => l !== '' && !l.startsWith('at ')))];
  const text = distinct.join(' | ');
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

function unavailable(reason: string): Availability {
  return { available: false, reason };
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** Who a call on the engine is, for its errors. */
export interface EngineCall {
  readonly backend: string;
  readonly loss: CanonicalLossName;
  readonly variant: TfjsVariant;
}

/**
 * One call on a variant's engine: under the engine lock it activates the variant, runs
 * `locked` (what must see the engine as this call has it: a dispose that happened while
 * the call waited throws there), builds the outputs in one `tf.tidy`, then reads each
 * back as a fresh Float32Array and disposes it. The copy matters: tfjs-cpu may hand back
 * its own buffer, which can be the caller's input. An error that is not a gluon-loss one
 * becomes the backend's BackendFailureError.
 */
export async function runOnEngine(
  call: EngineCall,
  locked: () => void,
  build: () => tf.Tensor[],
): Promise<FloatTensor[]> {
  const failure = (e: unknown): Error =>
    isGluonLossError(e) ? e : new BackendFailureError(call.backend, call.loss, describeError(e), e);
  let outputs: tf.Tensor[];
  try {
    outputs = await exclusive(async () => {
      await activate(call.variant);
      locked();
      return tf.tidy(build);
    });
  } catch (e) {
    throw failure(e);
  }
  try {
    const values = await Promise.all(outputs.map((o) => o.data()));
    return outputs.map((o, i) => ({ data: new Float32Array(values[i] as Float32Array), shape: [...o.shape] }));
  } catch (e) {
    throw failure(e);
  } finally {
    tf.dispose(outputs);
  }
}
