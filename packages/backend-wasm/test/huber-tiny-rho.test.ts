/**
 * HuberLoss's gradient on the ordinary-value fast path (the fused layout, whole SIMD
 * vectors), where the float32 order of MXNet's backward decides Inf and NaN although every
 * input is ordinary: a tiny rho makes `0.5 / rho` huge or infinite. The expected values
 * are MXNet 1.9.1's (`gluon.loss.HuberLoss(rho=...)` with autograd, printed by
 * /work/main/.venv/bin/python); the golden cases hold the special-value calls.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';

const tensor = (data: number[], shape: number[]) => ({ data: new Float32Array(data), shape });

describe('HuberLoss on wasm-simd, ordinary inputs with a tiny rho', () => {
  it('gives NaN gradients when 0.5 / rho overflows to Inf (where sends 0 into the quadratic branch: 0 * Inf)', async () => {
    const loss = await createWasmBackend().compile('HuberLoss', { rho: 1e-39 });
    const r = await loss.forwardBackward({
      pred: tensor([1, 0.5, -2, 3, 0.25, -1, 4, 2, 1, 2, 3, 4, 5, 6, 7, 8], [2, 8]),
      label: tensor(new Array<number>(16).fill(0), [2, 8]),
    });
    // MXNet: loss [1.71875, 4.5], every gradient NaN.
    expect(Array.from(r.loss.data)).toEqual([1.71875, 4.5]);
    expect(Array.from(r.grads.pred!.data).every(Number.isNaN)).toBe(true);
    expect(Array.from(r.grads.label!.data).every(Number.isNaN)).toBe(true);
  });

  it('overflows G * (0.5 / rho) before 2|d| shrinks it, as MXNet does', async () => {
    const loss = await createWasmBackend().compile('HuberLoss', { rho: 1e-35 });
    const r = await loss.forwardBackward({
      pred: tensor([1e-36, 1, -1e-36, 2, 5e-36, -3, 1e-36, 0.5], [1, 8]),
      label: tensor(new Array<number>(8).fill(0), [1, 8]),
      sample_weight: tensor(new Array<number>(8).fill(1e6), [1, 8]),
    });
    const inf = Infinity;
    // MXNet: loss [812500], grad pred [inf, 125000, -inf, 125000, inf, -125000, inf, 125000], label's the negation.
    expect(Array.from(r.loss.data)).toEqual([812500]);
    const want = [inf, 125000, -inf, 125000, inf, -125000, inf, 125000];
    expect(Array.from(r.grads.pred!.data)).toEqual(want);
    expect(Array.from(r.grads.label!.data)).toEqual(want.map((v) => -v));
  });
});
