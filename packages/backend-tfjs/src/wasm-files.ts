/**
 * Where tfjs's wasm backend finds its `.wasm` binaries. Nothing is downloaded: in Node
 * they are the files of the installed `@tensorflow/tfjs-backend-wasm` package; in a
 * browser the page says where it serves them (a folder, or the URLs a bundler gave).
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
  // In a browser without paths, tfjs looks beside the page's script; if the files are
  // not there the backend fails to initialise and the variant reports why.
  if (environment === 'node') wasm.setWasmPaths(await installedWasmFolder());
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
