/**
 * The built-in backends, each loaded only when asked for: importing this module loads
 * no backend package, so a page or a CLI that uses one backend pays for that one alone.
 * The conformance CLI, the router and the bench all take their list from here.
 */
import { BackendUnavailableError, currentEnvironment, type Backend, type Environment } from '@gluon-loss/spec';

export interface BackendOptions {
  /** Where a browser page serves wasm files (tfjs-wasm, onnx-*); Node finds them itself. */
  readonly wasmPaths?: string;
  /** Extra, backend-specific settings passed through to its factory. */
  readonly [key: string]: unknown;
}

export interface BackendEntry {
  readonly name: string;
  readonly environments: readonly Environment[];
  readonly description: string;
  load(options?: BackendOptions): Promise<Backend>;
}

export const BUILTIN_BACKENDS: readonly BackendEntry[] = [
  {
    name: 'ts',
    environments: ['node', 'browser'],
    description: 'pure TypeScript, fused loops over typed arrays',
    load: async () => (await import('@gluon-loss/backend-ts')).createTsBackend(),
  },
  ...(['cpu', 'wasm', 'webgl', 'webgpu'] as const).map((variant): BackendEntry => ({
    name: `tfjs-${variant}`,
    environments: variant === 'cpu' || variant === 'wasm' ? ['node', 'browser'] : ['browser'],
    description: `TensorFlow.js, ${variant} backend`,
    load: async (options) => (await import('@gluon-loss/backend-tfjs')).createTfjsBackend(variant, options),
  })),
  ...(['wasm', 'webgpu', 'node'] as const).map((variant): BackendEntry => ({
    name: `onnx-${variant}`,
    environments: variant === 'wasm' ? ['node', 'browser'] : variant === 'webgpu' ? ['browser'] : ['node'],
    description: variant === 'node' ? 'onnxruntime-node, native CPU' : `onnxruntime-web, ${variant} execution provider`,
    load: async (options) => (await import('@gluon-loss/backend-onnx')).createOnnxBackend(variant, options),
  })),
];

/**
 * Adapters that the conformance suite runs beside the backends but the router and the
 * bench do not: `@gluon-loss/tfjs`'s functions behind the Backend interface, so that
 * they are held to the same goldens (a call uploads, runs the function, reads back).
 */
export const CONFORMANCE_ADAPTERS: readonly BackendEntry[] = (['cpu', 'wasm', 'webgl', 'webgpu'] as const).map(
  (variant): BackendEntry => ({
    name: `tfjs-ops-${variant}`,
    environments: variant === 'cpu' || variant === 'wasm' ? ['node', 'browser'] : ['browser'],
    description: `@gluon-loss/tfjs's functions on TensorFlow.js's ${variant} backend`,
    load: async (options) =>
      (await import('@gluon-loss/tfjs/conformance-backend')).createTfjsOpsBackend(variant, options),
  }),
);

/** The built-in backends that can run in this environment (before probing). */
export function builtinBackendNames(environment: Environment = currentEnvironment()): string[] {
  return BUILTIN_BACKENDS.filter((b) => b.environments.includes(environment)).map((b) => b.name);
}

/** What the conformance suite runs here: the built-in backends, then the adapters. */
export function conformanceBackendNames(environment: Environment = currentEnvironment()): string[] {
  return [
    ...builtinBackendNames(environment),
    ...CONFORMANCE_ADAPTERS.filter((b) => b.environments.includes(environment)).map((b) => b.name),
  ];
}

export function findBackendEntry(name: string): BackendEntry | undefined {
  return BUILTIN_BACKENDS.find((b) => b.name === name) ?? CONFORMANCE_ADAPTERS.find((b) => b.name === name);
}

/**
 * Loads a built-in backend by name. An unknown name, or a backend whose package fails to
 * load, rejects with BackendUnavailableError naming the reason.
 */
export async function loadBuiltinBackend(name: string, options?: BackendOptions): Promise<Backend> {
  const entry = findBackendEntry(name);
  if (entry === undefined) {
    throw new BackendUnavailableError(
      name,
      `no built-in backend of that name (known: ${[...BUILTIN_BACKENDS, ...CONFORMANCE_ADAPTERS].map((b) => b.name).join(', ')})`,
    );
  }
  try {
    return await entry.load(options);
  } catch (e) {
    throw new BackendUnavailableError(name, `its package failed to load: ${(e as Error).message}`, e);
  }
}
