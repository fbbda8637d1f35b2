import { readFileSync } from 'node:fs';
import { BackendUnavailableError, type Backend } from '@gluon-loss/spec';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILTIN_BACKENDS,
  OPTIONAL_PACKAGE_VERSIONS,
  installAdvice,
  loadBuiltinBackend,
  provideBackendPackage,
  type BackendPackages,
} from '../src/index.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('the optional packages', () => {
  it('are the optional peers of package.json, at the versions of the table', () => {
    const peers = Object.entries(manifest.peerDependencies).map(([name, range]) => [
      name,
      range === 'workspace:*' ? manifest.version : range,
    ]);
    expect(Object.fromEntries(peers)).toEqual(OPTIONAL_PACKAGE_VERSIONS);
    for (const name of Object.keys(manifest.peerDependencies))
      expect(manifest.peerDependenciesMeta[name]?.optional).toBe(true);
  });

  it('leave ts and wasm-simd as the backend packages this one depends on (the default install)', () => {
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@gluon-loss/backend-ts',
      '@gluon-loss/backend-wasm',
      '@gluon-loss/spec',
    ]);
    for (const name of ['ts', 'wasm-simd', 'wasm-simd-mt']) {
      expect(BUILTIN_BACKENDS.find((b) => b.name === name)!.packages).toEqual([]);
    }
  });

  it('name, for each backend, everything to install, with exact versions', () => {
    const advice = (name: string) => installAdvice(BUILTIN_BACKENDS.find((b) => b.name === name)!.packages!);
    expect(advice('tfjs-wasm')).toBe(
      'install @gluon-loss/backend-tfjs@0.1.0, @tensorflow/tfjs@4.22.0 and @tensorflow/tfjs-backend-wasm@4.22.0',
    );
    expect(advice('tfjs-cpu')).toBe('install @gluon-loss/backend-tfjs@0.1.0 and @tensorflow/tfjs@4.22.0');
    expect(advice('onnx-node')).toBe('install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-node@1.30.0');
    expect(advice('onnx-wasm')).toBe('install @gluon-loss/backend-onnx@0.1.0 and onnxruntime-web@1.30.0');
  });
});

describe('a backend package handed to the registry', () => {
  afterEach(() => provideBackendPackage('@gluon-loss/backend-tfjs', () => import('@gluon-loss/backend-tfjs')));

  it('is used instead of an import, with the per-runtime wasm paths (the old shared one as fallback)', async () => {
    const calls: unknown[] = [];
    const fake: BackendPackages['@gluon-loss/backend-tfjs'] = {
      createTfjsBackend: (variant, options) => {
        calls.push({ variant, options });
        return { name: `tfjs-${variant}` } as Backend;
      },
    };
    provideBackendPackage('@gluon-loss/backend-tfjs', async () => fake);
    await loadBuiltinBackend('tfjs-wasm', { tfjs: { wasmPaths: '/tf/' }, onnx: { wasmPaths: '/ort/' } });
    await loadBuiltinBackend('tfjs-cpu', { wasmPaths: '/shared/' });
    await loadBuiltinBackend('tfjs-wasm', { wasmPaths: '/shared/', tfjs: { wasmPaths: { 'x.wasm': '/x' } } });
    expect(calls).toEqual([
      { variant: 'wasm', options: { wasmPaths: '/tf/' } },
      { variant: 'cpu', options: { wasmPaths: '/shared/' } },
      { variant: 'wasm', options: { wasmPaths: { 'x.wasm': '/x' } } },
    ]);
  });

  it('whose load fails makes the backend unavailable with the reason', async () => {
    provideBackendPackage('@gluon-loss/backend-tfjs', () => Promise.reject(new Error('chunk failed to load')));
    const e = await loadBuiltinBackend('tfjs-cpu').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendUnavailableError);
    expect((e as Error).message).toMatch(/tfjs-cpu is not available: its package failed to load: chunk failed/);
  });
});
