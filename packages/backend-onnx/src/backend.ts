/**
 * `createOnnxBackend(variant)`: the Backend value of one onnxruntime variant. `onnx-wasm`
 * (onnxruntime-web's wasm EP, Node and browser), `onnx-webgpu` (its WebGPU EP, browser)
 * and `onnx-node` (onnxruntime-node's native CPU EP, Node) run the same graphs; each
 * creates its sessions on its one EP, so a variant that cannot run is unavailable with
 * ORT's reason instead of quietly running somewhere else.
 */
import {
  BackendUnavailableError,
  assertSupported,
  canonicalLossName,
  parseConfig,
  type Availability,
  type Backend,
  type CanonicalLossName,
  type Environment,
  type LruLimits,
  type Support,
} from '@gluon-loss/spec';
import { OnnxCompiledLoss } from './compiled-loss.js';
import { GraphBuilder } from './graph/onnx-graph.js';
import { GraphOps } from './graph/ops.js';
import type { CtcRecursion, LossGraphOptions } from './loss-graph.js';
import {
  DEFAULT_SESSION_LIMITS,
  loadRuntime,
  type OnnxBackendOptions,
  type OnnxRuntime,
  type OnnxVariant,
  type OrtImporter,
} from './runtime.js';

const ENVIRONMENTS: Readonly<Record<OnnxVariant, readonly Environment[]>> = {
  wasm: ['node', 'browser'],
  webgpu: ['browser'],
  node: ['node'],
};

/**
 * CTC's recursions per EP (measurements in the README). On the CPU EPs a Scan runs as
 * fast as the unrolled ops and its session is created 5-50x sooner (an unrolled graph has
 * ~25 nodes per frame). The WebGPU EP has no Scan kernel, so there the unrolled ops keep
 * the recursion on the GPU.
 */
const DEFAULT_CTC_RECURSION: Readonly<Record<OnnxVariant, CtcRecursion>> = {
  wasm: 'scan',
  webgpu: 'unrolled',
  node: 'scan',
};

export interface OnnxBackend extends Backend {
  readonly variant: OnnxVariant;
  compile(loss: string, config?: unknown): Promise<OnnxCompiledLoss>;
  /** The sessions its LRU holds now, over every compiled loss (zeros before it is loaded). */
  sessionStats(): { readonly count: number; readonly bytes: number; readonly limits: LruLimits };
}

/** A one-node graph run once: proves the module loads and the EP creates and runs a session. */
async function smokeTest(runtime: OnnxRuntime): Promise<void> {
  const graph = new GraphBuilder('probe');
  const ops = new GraphOps(graph);
  const x = graph.input('x', 'float32', [2]);
  graph.output(ops.add(x, 1), 'y');
  const { session } = await runtime.createSession(graph.toModel());
  try {
    const out = await runtime.exclusive(() => session.run({ x: runtime.tensor(Float32Array.of(1, 2), [2]) }));
    const y = out.y?.data;
    if (!(y instanceof Float32Array) || y[0] !== 2 || y[1] !== 3)
      throw new Error('the probe graph returned a wrong result');
  } finally {
    await session.release();
  }
}

/** How a variant builds its graphs, unless the options say otherwise. */
export function graphOptionsFor(variant: OnnxVariant, options: OnnxBackendOptions = {}): LossGraphOptions {
  return {
    ctcRecursion: options.ctcRecursion ?? DEFAULT_CTC_RECURSION[variant],
    guardLog: options.guardLog ?? variant === 'webgpu',
    float32Sum: options.float32Sum ?? variant !== 'webgpu',
  };
}

export const ONNX_VARIANTS: readonly OnnxVariant[] = ['wasm', 'webgpu', 'node'];

/**
 * The backend of `variant`, whose runtime `importOrt` imports (each entry point passes
 * its own: `createOnnxBackend` from the package's main entry, `/wasm`, `/webgpu`, `/node`).
 */
export function onnxBackendOn(
  importOrt: OrtImporter,
  variant: OnnxVariant,
  options: OnnxBackendOptions = {},
): OnnxBackend {
  if (!ONNX_VARIANTS.includes(variant)) {
    throw new Error(`unknown onnx variant ${JSON.stringify(variant)}: expected one of ${ONNX_VARIANTS.join(', ')}`);
  }
  const name = `onnx-${variant}`;
  const environments = ENVIRONMENTS[variant];
  const graphOptions = graphOptionsFor(variant, options);
  let runtime: Promise<OnnxRuntime> | undefined;
  let loaded: OnnxRuntime | undefined;
  let availability: Promise<Availability> | undefined;

  const ready = (): Promise<OnnxRuntime> => {
    runtime ??= (async () => {
      const r = await loadRuntime(variant, options, importOrt);
      await smokeTest(r);
      loaded = r;
      return r;
    })();
    return runtime;
  };

  const backend: OnnxBackend = {
    name,
    variant,
    environments,
    probe(): Promise<Availability> {
      availability ??= ready().then(
        (): Availability => ({ available: true }),
        (e: unknown): Availability => ({ available: false, reason: e instanceof Error ? e.message : String(e) }),
      );
      return availability;
    },
    sessionStats() {
      const limits = loaded?.sessions.limits ?? { ...DEFAULT_SESSION_LIMITS, ...options.sessionCache };
      return { count: loaded?.sessions.size ?? 0, bytes: loaded?.sessions.bytes ?? 0, limits };
    },
    supports(_loss: CanonicalLossName, _config: Readonly<Record<string, unknown>>): Support {
      // Every loss and option of MXNet 1.9.1's gluon.loss has a graph.
      return { supported: true };
    },
    async compile(loss: string, config?: unknown): Promise<OnnxCompiledLoss> {
      const canonical = canonicalLossName(loss);
      const parsed = parseConfig(canonical, config);
      assertSupported(backend, canonical, parsed);
      const status = await backend.probe();
      if (!status.available) throw new BackendUnavailableError(name, status.reason);
      return new OnnxCompiledLoss(name, canonical, config, await ready(), graphOptions, options);
    },
  };
  return backend;
}
