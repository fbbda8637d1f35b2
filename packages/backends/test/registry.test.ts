import { BackendUnavailableError } from '@gluon-loss/spec';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_BACKENDS,
  builtinBackendNames,
  conformanceBackendNames,
  findBackendEntry,
  loadBuiltinBackend,
} from '../src/index.js';

describe('the built-in backend registry', () => {
  it('lists the Node and the browser variants', () => {
    expect(builtinBackendNames('node')).toEqual([
      'ts',
      'tfjs-cpu',
      'tfjs-wasm',
      'onnx-wasm',
      'onnx-node',
      'wasm-simd',
      'wasm-simd-mt',
    ]);
    expect(builtinBackendNames('browser')).toEqual([
      'ts',
      'tfjs-cpu',
      'tfjs-wasm',
      'tfjs-webgl',
      'tfjs-webgpu',
      'onnx-wasm',
      'onnx-webgpu',
      'wasm-simd',
      'wasm-simd-mt',
    ]);
    expect(new Set(BUILTIN_BACKENDS.map((b) => b.name)).size).toBe(BUILTIN_BACKENDS.length);
  });

  it('adds the @gluon-loss/tfjs adapters for the conformance suite only', () => {
    expect(conformanceBackendNames('node')).toEqual([...builtinBackendNames('node'), 'tfjs-ops-cpu', 'tfjs-ops-wasm']);
    expect(conformanceBackendNames('browser').slice(-4)).toEqual([
      'tfjs-ops-cpu',
      'tfjs-ops-wasm',
      'tfjs-ops-webgl',
      'tfjs-ops-webgpu',
    ]);
    expect(BUILTIN_BACKENDS.some((b) => b.name.startsWith('tfjs-ops'))).toBe(false);
  });

  it('loads a backend whose name matches its entry', async () => {
    for (const name of ['ts', 'tfjs-cpu', 'onnx-wasm', 'wasm-simd', 'wasm-simd-mt', 'tfjs-ops-cpu']) {
      const backend = await loadBuiltinBackend(name);
      expect(backend.name).toBe(name);
      expect(backend.environments).toEqual(findBackendEntry(name)!.environments);
    }
  });

  it('rejects an unknown name with BackendUnavailableError listing the known ones', async () => {
    const e = await loadBuiltinBackend('tfjs-gpu').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendUnavailableError);
    expect((e as Error).message).toContain('known: ts, tfjs-cpu');
  });

  it('reports a browser-only variant in Node as unavailable, with the reason, without throwing', async () => {
    const webgpu = await loadBuiltinBackend('onnx-webgpu');
    const availability = await webgpu.probe();
    expect(availability.available).toBe(false);
    if (!availability.available) expect(availability.reason).toMatch(/browser/i);
  });
});
