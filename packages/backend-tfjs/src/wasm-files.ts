/**
 * Where tfjs's wasm backend finds its `.wasm` binaries. Nothing is downloaded: in Node
 * they are the files of the installed `@tensorflow/tfjs-backend-wasm` package; in a
 * browser, where the page says (`wasmPaths`: a folder, or a URL per file), or else the
 * URLs a bundler gives the package's files: `new URL('<package>/dist/<file>',
 * import.meta.url)` is what Vite (and other bundlers that follow the pattern) resolve
 * like an import and emit as assets, so an app needs no configuration. Only the two
 * builds this package can load are named (plain and SIMD, ~0.7 MB together; the threaded
 * one is never loaded, see runtime.ts), so a bundle emits those alone.
 */
import type { Environment } from '@gluon-loss/spec';

/** A folder URL or path ending in `/`, or a URL for each binary by its file name. */
export type WasmPaths = string | Readonly<Record<string, string>>;

interface WasmModule {
  setWasmPaths(prefixOrFileMap: string | { [path: string]: string }, usePlatformFetch?: boolean): void;
}

/** The three binaries tfjs-backend-wasm 4.x may ask for (plain, SIMD, threaded SIMD). */
export const WASM_FILE_NAMES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

export async function configureWasmFiles(
  wasm: WasmModule,
  paths: WasmPaths | undefined,
  environment: Environment,
): Promise<void> {
  if (paths !== undefined) {
    wasm.setWasmPaths(typeof paths === 'string' ? paths : { ...paths });
    return;
  }
  if (environment === 'node') wasm.setWasmPaths(await installedWasmFolder());
  // Unbundled (no bundler rewrote the URLs below) they point beside this module, where the
  // files are not: the backend then fails to initialise and says why (pass `wasmPaths`).
  else wasm.setWasmPaths(bundledWasmFiles());
}

/**
 * The URLs of the binaries as a bundler emits them. Each is a literal `new URL(...)`
 * (the form bundlers recognise); tfjs wants an entry for all three names, and the threaded
 * build, which is never loaded, gets a URL that names why it is absent instead of an asset.
 */
function bundledWasmFiles(): Record<(typeof WASM_FILE_NAMES)[number], string> {
  return {
    'tfjs-backend-wasm.wasm': new URL('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', import.meta.url)
      .href,
    'tfjs-backend-wasm-simd.wasm': new URL(
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-threaded-simd.wasm': 'gluon-loss-runs-tfjs-wasm-single-threaded.wasm',
  };
}

/**
 * The installed package's dist folder, resolved the way Node resolves the package.
 * `node:module` is imported through a variable so that a browser bundle never sees it.
 */
async function installedWasmFolder(): Promise<string> {
  const nodeModule = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as {
    createRequire(from: string): { resolve(id: string): string };
  };
  const file = createRequire(import.meta.url).resolve(`@tensorflow/tfjs-backend-wasm/dist/${WASM_FILE_NAMES[0]}`);
  return file.slice(0, Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}
