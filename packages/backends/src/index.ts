/**
 * The built-in backends, each loaded only when asked for: importing this module loads
 * no backend package, so a page or a CLI that uses one backend pays for that one alone.
 * The conformance CLI, the router and the bench all take their list from here.
 *
 * Only the pure-TypeScript backend is a dependency. The others live in packages the
 * application installs when it wants them (optional peers: tfjs and onnxruntime weigh
 * hundreds of MB). In Node the registry imports whichever are installed and names the
 * packages to add for the others. A bundler cannot discover installed packages at run
 * time, so a bundled app hands the registry the backend packages it imports itself
 * (`provideBackendPackage`); this module names none of them in a literal `import()`,
 * so an app's bundle neither includes nor fails to resolve the ones it does not use.
 */
import { BackendUnavailableError, currentEnvironment, type Backend, type Environment } from '@gluon-loss/spec';
import { OPTIONAL_PACKAGE_VERSIONS, type OptionalPackage } from './optional-packages.js';

export { OPTIONAL_PACKAGE_VERSIONS, type OptionalPackage } from './optional-packages.js';

/** tfjs-backend-wasm's `setWasmPaths`: a folder URL ending in `/`, or a URL per `.wasm` file name. */
export type TfjsWasmPaths = string | Readonly<Record<string, string>>;

/** onnxruntime-web's `env.wasm.wasmPaths`: a folder URL ending in `/`, or the URLs of its `.mjs` and `.wasm`. */
export type OnnxWasmPaths = string | { readonly mjs?: string | URL; readonly wasm?: string | URL };

export interface BackendOptions {
  /** tfjs-wasm: where a page serves tfjs-backend-wasm's `.wasm` files (Node finds them itself). */
  readonly tfjs?: { readonly wasmPaths?: TfjsWasmPaths };
  /** onnx-wasm, onnx-webgpu: where a page serves onnxruntime-web's `.wasm`/`.mjs` files. */
  readonly onnx?: { readonly wasmPaths?: OnnxWasmPaths };
  /**
   * @deprecated One folder for every runtime's files; `tfjs.wasmPaths` and `onnx.wasmPaths`
   * take precedence.
   */
  readonly wasmPaths?: string;
  /** Extra, backend-specific settings passed through to its factory. */
  readonly [key: string]: unknown;
}

export interface BackendEntry {
  readonly name: string;
  readonly environments: readonly Environment[];
  readonly description: string;
  /** The packages the application installs for this backend (none for ts, or for an entry made elsewhere). */
  readonly packages?: readonly OptionalPackage[];
  /**
   * Its runtime is heavy: tfjs or onnxruntime, megabytes to download in a page and 0.3 to
   * 3 s to load and initialise. The router loads such a backend only for a call big enough
   * to repay that (its cost model's `loadHeavyAboveElements`), or when nothing light can run.
   */
  readonly heavy?: boolean;
  load(options?: BackendOptions): Promise<Backend>;
}

/** The backend packages a bundled app may hand the registry, with what the registry calls. */
export interface BackendPackages {
  readonly '@gluon-loss/backend-tfjs': {
    createTfjsBackend(variant: 'cpu' | 'wasm' | 'webgl' | 'webgpu', options?: object): Backend;
  };
  readonly '@gluon-loss/backend-onnx': {
    createOnnxBackend(variant: 'wasm' | 'webgpu' | 'node', options?: object): Backend;
  };
}

type BackendPackageName = keyof BackendPackages;

const provided = new Map<BackendPackageName, () => Promise<unknown>>();

/**
 * Hands the registry a backend package the app imports itself, which a bundled app must
 * do for every backend it wants besides ts (Node apps need not: installed packages are
 * found). Call it before the first loss is created, e.g.
 * `provideBackendPackage('@gluon-loss/backend-tfjs', () => import('@gluon-loss/backend-tfjs'))`.
 * A variant's entry does too, so that the bundle holds that variant's runtime alone:
 * `provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx/wasm'))`.
 */
export function provideBackendPackage<P extends BackendPackageName>(
  name: P,
  load: () => Promise<BackendPackages[P]>,
): void {
  provided.set(name, load);
}

/** One place for the install advice: every package a backend needs, at the version tested. */
export function installAdvice(packages: readonly OptionalPackage[]): string {
  const named = packages.map((p) => `${p}@${OPTIONAL_PACKAGE_VERSIONS[p]}`);
  return `install ${named.length <= 2 ? named.join(' and ') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`}`;
}

/**
 * The packages of `packages` that Node cannot resolve from here, or [] where this cannot
 * be told (a bundle, a browser): there the import itself says what is missing.
 */
function missingPackages(packages: readonly OptionalPackage[]): OptionalPackage[] {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (currentEnvironment() !== 'node' || typeof resolve !== 'function') return [];
  return packages.filter((p) => {
    try {
      resolve(p);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * Why a built-in backend cannot load here, told without loading it: in Node, the message
 * its load would fail with when Node cannot resolve some of its packages. Undefined when
 * they resolve, or where this cannot be told (a bundle, a browser: there only the import
 * says). Lets a router list what to install for backends it has not needed yet.
 */
export function missingPackagesReason(name: string): string | undefined {
  const entry = findBackendEntry(name);
  const missing = missingPackages(entry?.packages ?? []);
  return missing.length > 0 ? new BackendUnavailableError(name, installAdvice(missing)).message : undefined;
}

async function importBackendPackage<P extends BackendPackageName>(
  entry: BackendEntry,
  name: P,
): Promise<BackendPackages[P]> {
  const load = provided.get(name);
  if (load !== undefined) return (await load()) as BackendPackages[P];
  if (currentEnvironment() !== 'node') {
    throw new BackendUnavailableError(
      entry.name,
      `a bundled app imports the backends it uses: ${installAdvice(entry.packages ?? [])}, then call ` +
        `provideBackendPackage('${name}', () => import('${name}')) before the first loss`,
    );
  }
  const missing = missingPackages(entry.packages ?? []);
  if (missing.length > 0) throw new BackendUnavailableError(entry.name, installAdvice(missing));
  // Not a literal: a bundler must not follow it (the package is optional).
  const specifier: string = name;
  return (await import(/* @vite-ignore */ specifier)) as BackendPackages[P];
}

/**
 * What each tfjs variant needs beyond `@tensorflow/tfjs` (which brings cpu and webgl). Not
 * `@tensorflow/tfjs-core` alone: its Node build registers no gradients, and its ES build
 * cannot load in Node (extensionless imports), so only the full package's Node bundle
 * differentiates there.
 */
const TFJS_VARIANT_PACKAGES = {
  cpu: [],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  webgl: [],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
} as const;

const ONNX_VARIANT_PACKAGES = { wasm: 'onnxruntime-web', webgpu: 'onnxruntime-web', node: 'onnxruntime-node' } as const;

/** The options a backend's factory takes, from the registry's (per-runtime paths win over the old shared one). */
function factoryOptions(runtime: 'tfjs' | 'onnx', options: BackendOptions = {}): object {
  const { tfjs, onnx, wasmPaths: shared, ...rest } = options;
  const wasmPaths = (runtime === 'tfjs' ? tfjs?.wasmPaths : onnx?.wasmPaths) ?? shared;
  return wasmPaths === undefined ? rest : { ...rest, wasmPaths };
}

export const BUILTIN_BACKENDS: readonly BackendEntry[] = [
  {
    name: 'ts',
    environments: ['node', 'browser'],
    description: 'pure TypeScript, fused loops over typed arrays',
    packages: [],
    load: async () => (await import('@gluon-loss/backend-ts')).createTsBackend(),
  },
  ...(['cpu', 'wasm', 'webgl', 'webgpu'] as const).map((variant): BackendEntry => {
    const entry: BackendEntry = {
      name: `tfjs-${variant}`,
      environments: variant === 'cpu' || variant === 'wasm' ? ['node', 'browser'] : ['browser'],
      description: `TensorFlow.js, ${variant} backend`,
      packages: ['@gluon-loss/backend-tfjs', '@tensorflow/tfjs', ...TFJS_VARIANT_PACKAGES[variant]],
      heavy: true,
      load: async (options) =>
        (await importBackendPackage(entry, '@gluon-loss/backend-tfjs')).createTfjsBackend(
          variant,
          factoryOptions('tfjs', options),
        ),
    };
    return entry;
  }),
  ...(['wasm', 'webgpu', 'node'] as const).map((variant): BackendEntry => {
    const entry: BackendEntry = {
      name: `onnx-${variant}`,
      environments: variant === 'wasm' ? ['node', 'browser'] : variant === 'webgpu' ? ['browser'] : ['node'],
      description:
        variant === 'node' ? 'onnxruntime-node, native CPU' : `onnxruntime-web, ${variant} execution provider`,
      packages: ['@gluon-loss/backend-onnx', ONNX_VARIANT_PACKAGES[variant]],
      heavy: true,
      load: async (options) =>
        (await importBackendPackage(entry, '@gluon-loss/backend-onnx')).createOnnxBackend(
          variant,
          factoryOptions('onnx', options),
        ),
    };
    return entry;
  }),
  {
    name: 'wasm-simd',
    environments: ['node', 'browser'],
    description: 'WebAssembly SIMD128, fused kernels compiled from C',
    packages: [],
    load: async () => (await import('@gluon-loss/backend-wasm')).createWasmBackend(),
  },
  {
    name: 'wasm-simd-mt',
    environments: ['node', 'browser'],
    description:
      'WebAssembly SIMD128 kernels, large calls spread over worker threads (Node; browsers: cross-origin-isolated pages)',
    packages: [],
    load: async (options) => {
      const wasm = await import('@gluon-loss/backend-wasm');
      return wasm.createWasmBackend({
        threads: typeof options?.threads === 'number' ? options.threads : await wasm.defaultThreads(),
      });
    },
  },
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
    heavy: true,
    load: async (options) =>
      (await importConformanceAdapter()).createTfjsOpsBackend(variant, factoryOptions('tfjs', options)),
  }),
);

interface TfjsOpsAdapter {
  createTfjsOpsBackend(variant: 'cpu' | 'wasm' | 'webgl' | 'webgpu', options?: object): Backend;
}

let conformanceAdapter: (() => Promise<TfjsOpsAdapter>) | undefined;

/** Hands the registry @gluon-loss/tfjs's conformance adapter (a page that runs the suite does). */
export function provideConformanceAdapter(load: () => Promise<TfjsOpsAdapter>): void {
  conformanceAdapter = load;
}

/** Not a literal import in Node: the adapter is a dev-only package a bundler must not follow. */
async function importConformanceAdapter(): Promise<TfjsOpsAdapter> {
  if (conformanceAdapter !== undefined) return conformanceAdapter();
  const specifier: string = '@gluon-loss/tfjs/conformance-backend';
  return (await import(/* @vite-ignore */ specifier)) as TfjsOpsAdapter;
}

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
 * Loads a built-in backend by name. An unknown name, a backend whose packages are not
 * installed (the reason names them, with versions), or one whose package fails to load,
 * rejects with BackendUnavailableError naming the reason.
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
    if (e instanceof BackendUnavailableError) throw e;
    throw new BackendUnavailableError(name, `its package failed to load: ${(e as Error).message}`, e);
  }
}
