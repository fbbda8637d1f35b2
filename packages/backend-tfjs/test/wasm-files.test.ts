/**
 * In a page with no `wasmPaths`, tfjs-wasm's binaries are the URLs a bundler gives the
 * package's files (`new URL('@tensorflow/tfjs-backend-wasm/dist/...', import.meta.url)`,
 * rewritten by Vite into emitted assets: scripts/test-packed.mjs runs such an app). tfjs
 * wants all three names; the threaded build is never loaded, so it gets no asset.
 */
import { describe, expect, it } from 'vitest';
import { WASM_FILE_NAMES, configureWasmFiles } from '../src/wasm-files.js';

function recorder() {
  const calls: unknown[] = [];
  return { calls, module: { setWasmPaths: (paths: unknown) => void calls.push(paths) } };
}

describe('tfjs-wasm file locations', () => {
  it('in a browser without wasmPaths: the plain and SIMD files by URL, the threaded one named absent', async () => {
    const { calls, module } = recorder();
    await configureWasmFiles(module, undefined, 'browser');
    expect(calls).toHaveLength(1);
    const map = calls[0] as Record<string, string>;
    expect(Object.keys(map).sort()).toEqual([...WASM_FILE_NAMES].sort());
    expect(map['tfjs-backend-wasm.wasm']).toMatch(/\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm\.wasm$/);
    expect(map['tfjs-backend-wasm-simd.wasm']).toMatch(/\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/);
    expect(map['tfjs-backend-wasm-threaded-simd.wasm']).toBe('gluon-loss-runs-tfjs-wasm-single-threaded.wasm');
  });

  it('the page says where: its folder or map is passed on as given', async () => {
    const { calls, module } = recorder();
    await configureWasmFiles(module, '/wasm/', 'browser');
    await configureWasmFiles(module, { 'tfjs-backend-wasm.wasm': '/a' }, 'browser');
    expect(calls).toEqual(['/wasm/', { 'tfjs-backend-wasm.wasm': '/a' }]);
  });
});
