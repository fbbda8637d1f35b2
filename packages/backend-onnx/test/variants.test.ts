/**
 * The three variants: where each runs, what an unavailable one reports, and that each
 * sticks to its own execution provider.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, ConfigError, UnknownLossError, tensor } from '@gluon-loss/spec';
import { ONNX_VARIANTS, createOnnxBackend } from '../src/index.js';
import nodeBackend from '../src/node.js';
import wasmBackend from '../src/wasm.js';
import webgpuBackend from '../src/webgpu.js';

describe('variants', () => {
  it('are named per execution provider, with where each can run', () => {
    expect(ONNX_VARIANTS.map((v) => createOnnxBackend(v).name)).toEqual(['onnx-wasm', 'onnx-webgpu', 'onnx-node']);
    expect(createOnnxBackend('wasm').environments).toEqual(['node', 'browser']);
    expect(createOnnxBackend('webgpu').environments).toEqual(['browser']);
    expect(createOnnxBackend('node').environments).toEqual(['node']);
    expect(createOnnxBackend('node').supports('CTCLoss', {})).toEqual({ supported: true });
  });

  it('have one module each, whose default export is that variant', () => {
    expect([wasmBackend.name, webgpuBackend.name, nodeBackend.name]).toEqual(['onnx-wasm', 'onnx-webgpu', 'onnx-node']);
  });

  it('reject an unknown variant by name', () => {
    expect(() => createOnnxBackend('webgl' as never)).toThrow(/unknown onnx variant "webgl"/);
  });
});

describe('onnx-webgpu in Node', () => {
  const backend = createOnnxBackend('webgpu');

  it('probes as unavailable, saying why, and caches the answer', async () => {
    const availability = await backend.probe();
    expect(availability).toEqual({ available: false, reason: expect.stringMatching(/only in a browser/) });
    expect(await backend.probe()).toBe(availability);
  });

  it('rejects compile with BackendUnavailableError, after checking the loss and config', async () => {
    const error = await backend.compile('L2Loss').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).backend).toBe('onnx-webgpu');
    await expect(backend.compile('L3Loss')).rejects.toBeInstanceOf(UnknownLossError);
    await expect(backend.compile('HuberLoss', { rho: 'one' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe.each(['wasm', 'node'] as const)('onnx-%s in Node', (variant) => {
  it('is available and computes a loss', async () => {
    const backend = createOnnxBackend(variant);
    expect(await backend.probe()).toEqual({ available: true });
    const l1 = await backend.compile('L1Loss', { weight: 2 });
    const out = await l1.forward({
      pred: tensor(Float32Array.of(1, -1), [1, 2]),
      label: tensor(Float32Array.of(0, 0), [1, 2]),
    });
    expect([...out.loss.data]).toEqual([2]);
    l1.dispose();
  });
});

describe('onnx-wasm', () => {
  it('sets the wasm thread count from the cores available (at most 4)', async () => {
    await createOnnxBackend('wasm').probe();
    expect(ort.env.wasm.numThreads).toBe(Math.min(availableParallelism(), 4));
  });

  it('puts every session on the wasm EP, with the requested log severity', async () => {
    const created: ort.InferenceSession.SessionOptions[] = [];
    const original = ort.InferenceSession.create.bind(ort.InferenceSession);
    const spy = (async (model: Uint8Array, options?: ort.InferenceSession.SessionOptions) => {
      created.push(options ?? {});
      return original(model, options);
    }) as typeof ort.InferenceSession.create;
    ort.InferenceSession.create = spy;
    try {
      const backend = createOnnxBackend('wasm', { logSeverityLevel: 2 });
      const l2 = await backend.compile('L2Loss');
      await l2.forward({ pred: tensor(Float32Array.of(1), [1]), label: tensor(Float32Array.of(0), [1]) });
      l2.dispose();
    } finally {
      ort.InferenceSession.create = original;
    }
    expect(created.length).toBeGreaterThanOrEqual(2); // the probe, then the loss
    for (const options of created) {
      expect(options.executionProviders).toEqual(['wasm']);
      expect(options.logSeverityLevel).toBe(2);
    }
  });
});
