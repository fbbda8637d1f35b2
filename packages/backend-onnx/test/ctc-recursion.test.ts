/**
 * CTC's two layouts of the alpha/beta recursions (unrolled ops for WebGPU, a Scan for the
 * CPU EPs) are the same computation: same loss and gradient, including pred_lengths and
 * label_lengths, on a case the goldens do not hold.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '@gluon-loss/spec';
import { createOnnxBackend } from '../src/index.js';

/** A small deterministic generator (the values only need to be varied). */
function sequence(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 6 - 3;
  });
}

describe('CTC recursion layouts', () => {
  it('agree between unrolled ops and Scan', async () => {
    const [N, T, C] = [3, 9, 5];
    const inputs = {
      pred: tensor(sequence(N * T * C, 7), [T, N, C]),
      label: tensor(Int32Array.from([0, 1, 1, 3, 2, 2, 0, 0, 1, 1, 3, 3]), [4, N]),
      pred_lengths: tensor(Int32Array.from([9, 6, 4]), [N]),
      label_lengths: tensor(Int32Array.from([3, 4, 2]), [N]),
    };
    const head = tensor(Float32Array.from([0.5, -1.25, 2]), [N]);
    const results = [];
    for (const ctcRecursion of ['unrolled', 'scan'] as const) {
      const compiled = await createOnnxBackend('wasm', { ctcRecursion }).compile('CTCLoss', {
        layout: 'TNC',
        label_layout: 'TN',
      });
      results.push(await compiled.forwardBackward(inputs, head));
      compiled.dispose();
    }
    const [unrolled, scan] = results;
    const close = (a: Float32Array, b: Float32Array): void => {
      expect(a.length).toBe(b.length);
      a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(b[i]!)));
    };
    close(unrolled!.loss.data, scan!.loss.data);
    close(unrolled!.grads.pred!.data, scan!.grads.pred!.data);
    // Sample 2 has 4 frames: its gradient past them is 0; the rest is not all zero.
    const grad = scan!.grads.pred!.data;
    for (let t = 4; t < T; t++) for (let c = 0; c < C; c++) expect(grad[(t * N + 2) * C + c]).toBe(0);
    expect(grad.some((g) => g !== 0)).toBe(true);
    expect([...scan!.loss.data].every((l) => l > 0)).toBe(true);
  });
});
