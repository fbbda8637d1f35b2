/**
 * The deliberate differences of conformance/README.md ("Deviations from MXNet") that no
 * golden can pin, because MXNet's own result is undefined there: every Node backend must
 * make the same, defined choice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@gluon-loss/spec';
import { loadBuiltinNodeBackends } from '../src/node.js';

let backends: Backend[] = [];

beforeAll(async () => {
  backends = await loadBuiltinNodeBackends();
});

afterAll(async () => {
  for (const b of backends) await b.dispose?.();
});

describe('a CTC batch whose every label row is empty (MXNet returns uninitialised memory)', () => {
  // Every backend returns the empty label's likelihood: all blanks, -sum_t log softmax(x_t)[blank],
  // and its gradient softmax - onehot(blank), each times G. Computed here in float64.
  const [n, t, c] = [2, 4, 3];
  const pred = Float32Array.from({ length: n * t * c }, (_, i) => Math.sin(i * 1.7) * 2);
  const headGrad = Float32Array.from([0.5, -1.25]);
  const expectedLoss: number[] = [];
  const expectedGrad: number[] = [];
  for (let b = 0; b < n; b++) {
    let loss = 0;
    for (let step = 0; step < t; step++) {
      const row = Array.from(pred.subarray((b * t + step) * c, (b * t + step + 1) * c));
      const max = Math.max(...row);
      const sum = row.reduce((acc, x) => acc + Math.exp(x - max), 0);
      loss -= row[c - 1]! - max - Math.log(sum);
      row.forEach((x, k) => expectedGrad.push((Math.exp(x - max) / sum - (k === c - 1 ? 1 : 0)) * headGrad[b]!));
    }
    expectedLoss.push(loss);
  }

  it('every Node backend returns -sum(log p(blank)) and its gradient', async () => {
    expect(backends.length).toBeGreaterThanOrEqual(5);
    for (const backend of backends) {
      const compiled = await backend.compile('CTCLoss');
      const inputs = {
        pred: { data: pred, shape: [n, t, c] },
        label: { data: Float32Array.from([-1, -1, -1, -1]), shape: [n, 2] },
      };
      const { loss, grads } = await compiled.forwardBackward(inputs, { data: headGrad, shape: [n] });
      Array.from(loss.data).forEach((v, i) => expect(v, `${backend.name} loss[${i}]`).toBeCloseTo(expectedLoss[i]!, 4));
      Array.from(grads.pred!.data).forEach((v, i) =>
        expect(v, `${backend.name} grad[${i}]`).toBeCloseTo(expectedGrad[i]!, 5),
      );
      compiled.dispose();
    }
  });
});

describe('a CTC sample with an empty label and pred_lengths 0 (MXNet corrupts its heap)', () => {
  // MXNet 1.9.1 writes out of bounds there ("free(): invalid next size"); where it survives it
  // returns +Inf. Every backend returns +Inf and a zero gradient for that sample, and the
  // samples beside it are untouched.
  const [n, t, c] = [2, 5, 4];
  const pred = Float32Array.from({ length: n * t * c }, (_, i) => Math.cos(i * 0.9) * 1.5);
  const inputs = {
    pred: { data: pred, shape: [n, t, c] },
    label: { data: Float32Array.from([-1, -1, 0, 1]), shape: [n, 2] },
    pred_lengths: { data: Float32Array.from([0, 5]), shape: [n] },
  };
  const alone = {
    pred: { data: pred.slice(t * c), shape: [1, t, c] },
    label: { data: Float32Array.from([0, 1]), shape: [1, 2] },
  };

  it('every Node backend returns +Inf and a zero gradient for it, and the other sample as if alone', async () => {
    expect(backends.length).toBeGreaterThanOrEqual(5);
    for (const backend of backends) {
      const compiled = await backend.compile('CTCLoss');
      const { loss, grads } = await compiled.forwardBackward(inputs, { data: Float32Array.from([0.5, 1]), shape: [n] });
      const single = await compiled.forwardBackward(alone, { data: Float32Array.from([1]), shape: [1] });
      expect(loss.data[0], backend.name).toBe(Infinity);
      expect(
        Array.from(grads.pred!.data.subarray(0, t * c)).every((g) => g === 0),
        backend.name,
      ).toBe(true);
      expect(loss.data[1], backend.name).toBeCloseTo(single.loss.data[0]!, 5);
      compiled.dispose();
    }
  });
});
