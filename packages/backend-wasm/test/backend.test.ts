/**
 * The backend object (what `--backend ./packages/backend-wasm/dist/index.js` loads), its
 * memory limits (wasm32's 4 GiB rejected up front with UnsupportedError, memory above the
 * cap released after the call), results that are fresh arrays, and dispose. The losses'
 * values are the conformance suite's (every golden case, `pnpm conformance --backend wasm-simd`).
 */
import { describe, expect, it } from 'vitest';
import { DisposedError, LOSS_NAMES, UnknownLossError, UnsupportedError, parseConfig } from '@gluon-loss/spec';
import wasmBackend, { createWasmBackend } from '../src/index.js';
import { KernelHeap, RELEASE_ABOVE_BYTES, WASM32_MAX_BYTES, kernelModule } from '../src/kernels.js';

describe('the wasm-simd backend', () => {
  it('is available in Node and the browser and supports every loss with every option', async () => {
    expect(wasmBackend.name).toBe('wasm-simd');
    expect([...wasmBackend.environments].sort()).toEqual(['browser', 'node']);
    await expect(wasmBackend.probe()).resolves.toEqual({ available: true });
    expect(LOSS_NAMES).toHaveLength(14);
    for (const loss of LOSS_NAMES) {
      expect(wasmBackend.supports(loss, parseConfig(loss, {})), loss).toEqual({ supported: true });
    }
  });

  it('compiles by canonical name and alias, and rejects an unknown loss with UnknownLossError', async () => {
    const backend = createWasmBackend();
    expect((await backend.compile('SoftmaxCELoss')).loss).toBe('SoftmaxCrossEntropyLoss');
    await expect(backend.compile('HingeLos')).rejects.toBeInstanceOf(UnknownLossError);
    await backend.dispose?.();
  });

  it('returns fresh arrays that a later call does not overwrite, and refuses calls after dispose', async () => {
    const loss = await createWasmBackend().compile('L2Loss');
    const inputs = { pred: { data: new Float32Array([1, 2, 3, 4, 5]), shape: [1, 5] } };
    const label = { data: new Float32Array(5), shape: [1, 5] };
    const head = { data: new Float32Array([1]), shape: [1] };
    const first = await loss.forwardBackward({ ...inputs, label }, head);
    const second = await loss.forwardBackward({ pred: label, label: inputs.pred }, head);
    // L2 on (1, 5): mean of (label - pred)^2 / 2 = 55 / 10.
    expect(first.loss.data[0]).toBeCloseTo(5.5, 6);
    expect(Array.from(first.grads.pred!.data)).toEqual([0.2, 0.4, 0.6, 0.8, 1].map(Math.fround));
    expect(Array.from(second.grads.pred!.data)).toEqual([-0.2, -0.4, -0.6, -0.8, -1].map(Math.fround));
    expect(first.grads.pred!.data.buffer).not.toBe(second.grads.pred!.data.buffer);
    loss.dispose();
    await expect(loss.forward({ ...inputs, label })).rejects.toBeInstanceOf(DisposedError);
  });
});

describe('wasm memory', () => {
  it('rejects a call beyond wasm32 4 GiB with UnsupportedError before growing', async () => {
    const heap = new KernelHeap(await kernelModule());
    const call = heap.begin('L2Loss');
    expect(() => call.alloc(WASM32_MAX_BYTES)).toThrow(UnsupportedError);
    expect(() => call.reserveCheck(WASM32_MAX_BYTES)).toThrow(/4 GiB/);
    expect(heap.memoryBytes).toBeLessThan(16 * 1024 ** 2);
    call.end();
  });

  it('releases memory grown above the cap after the call, and keeps it below', async () => {
    const heap = new KernelHeap(await kernelModule());
    const small = heap.begin('L2Loss');
    small.alloc(1024 ** 2);
    small.end();
    expect(heap.memoryBytes).toBeGreaterThan(1024 ** 2);
    const big = heap.begin('L2Loss');
    big.alloc(RELEASE_ABOVE_BYTES + 1024 ** 2);
    expect(heap.memoryBytes).toBeGreaterThan(RELEASE_ABOVE_BYTES);
    big.end();
    expect(heap.memoryBytes).toBe(0);
    const again = heap.begin('L2Loss');
    expect(heap.memoryBytes).toBeLessThan(16 * 1024 ** 2);
    again.end();
  });
});
