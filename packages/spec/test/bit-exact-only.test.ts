/**
 * The spec's bitExactOnly: the one rule every backend but ts applies for calls whose result
 * class hangs on MXNet's exact float32 rounding (both of its kinds, and a call with neither).
 */
import { describe, expect, it } from 'vitest';
import { bitExactOnly, parseConfig, planCall } from '../src/index.js';

const t = (values: number[], shape: number[]) => ({ data: new Float32Array(values), shape });

describe('bitExactOnly', () => {
  it("refuses a NaN or +Inf on oneDNN's log_softmax path, with log_softmax's reason", () => {
    const plan = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss', {}), {
      pred: t([Number.NaN, 1, 2, 3], [2, 2]),
      label: t([0, 1], [2]),
    });
    const refused = bitExactOnly(plan, 'wasm-simd');
    expect(refused.supported).toBe(false);
    expect(refused.supported ? '' : refused.reason).toMatch(/log_softmax row holds a NaN or an infinity/);
  });

  it('refuses a CosineEmbeddingLoss under an infinite weight, naming the backend', () => {
    const vectors = t([0.3, 0.4, 1, 2], [2, 2]);
    const plan = planCall('CosineEmbeddingLoss', parseConfig('CosineEmbeddingLoss', {}), {
      input1: vectors,
      input2: vectors,
      label: t([1, -1], [2]),
      sample_weight: t([1, Infinity], [2, 1]),
    });
    const refused = bitExactOnly(plan, 'onnx-node');
    expect(refused.supported ? '' : refused.reason).toMatch(/^sample_weight\[1\] is Infinity: onnx-node /);
    // A backend whose cosine passes are MXNet's float32 sums to the bit says so, and takes it.
    expect(bitExactOnly(plan, 'wasm-simd', { cosineFloat32Sums: true })).toEqual({ supported: true });
  });

  it("lets through only the kind a backend reproduces: a cosine capability does not take oneDNN's rows", () => {
    const plan = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss', {}), {
      pred: t([Infinity, 1], [1, 2]),
      label: t([0], [1]),
    });
    expect(bitExactOnly(plan, 'wasm-simd', { cosineFloat32Sums: true }).supported).toBe(false);
  });

  it('takes special values everywhere else', () => {
    const plan = planCall('L2Loss', parseConfig('L2Loss', {}), {
      pred: t([Number.NaN, Infinity], [2]),
      label: t([-Infinity, 1], [2]),
      sample_weight: t([Infinity, 1], [2]),
    });
    expect(bitExactOnly(plan, 'tfjs-cpu')).toEqual({ supported: true });
  });

  it('answers a call known to be finite without scanning, as the scan would', () => {
    const finite = [
      planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss', {}), {
        pred: t([1, 2, 3, 4], [2, 2]),
        label: t([0, 1], [2]),
      }),
      planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss', { sparse_label: false }), {
        pred: t([1, 2], [1, 2]),
        label: t([0.5, 0.5], [1, 2]),
        sample_weight: t([3], [1, 1]),
      }),
      planCall('KLDivLoss', parseConfig('KLDivLoss', { from_logits: false }), {
        pred: t([1, 2], [1, 2]),
        label: t([0.5, 0.5], [1, 2]),
      }),
      planCall('SDMLLoss', parseConfig('SDMLLoss', {}), { x1: t([1, 2, 3, 4], [2, 2]), x2: t([1, 2, 3, 5], [2, 2]) }),
      planCall('CosineEmbeddingLoss', parseConfig('CosineEmbeddingLoss', {}), {
        input1: t([0.3, 0.4], [1, 2]),
        input2: t([0.3, 0.4], [1, 2]),
        label: t([1], [1]),
        sample_weight: t([1e6], [1, 1]),
      }),
    ];
    for (const plan of finite) {
      expect(bitExactOnly(plan, 'wasm-simd', {}, { finite: true, moderate: true })).toEqual(
        bitExactOnly(plan, 'wasm-simd'),
      );
    }
  });

  it('refuses a finite magnitude beyond 2^24 in any arithmetic input or the weight, unless the backend runs MXNet order', () => {
    const plan = (pred: number[], config = {}) =>
      planCall('LogisticLoss', parseConfig('LogisticLoss', config), {
        pred: t(pred, [1, 3]),
        label: t([1, 0, 1], [1, 3]),
      });
    const refused = bitExactOnly(plan([0.5, -3e7, 1]), 'onnx-node');
    expect(refused.supported ? '' : refused.reason).toMatch(
      /^pred\[1\] is -30000000: beyond 2\^24, .* onnx-node does not follow/,
    );
    expect(bitExactOnly(plan([0.5, 2 ** 24, 1]), 'onnx-node')).toEqual({ supported: true });
    expect(bitExactOnly(plan([Infinity, -Infinity, NaN]), 'onnx-node')).toEqual({ supported: true });
    const weight = bitExactOnly(plan([1, 2, 3], { weight: 1e30 }), 'tfjs-cpu');
    expect(weight.supported ? '' : weight.reason).toMatch(/^the weight is 1e\+30: beyond 2\^24/);
    expect(bitExactOnly(plan([0.5, -3e7, 1]), 'wasm-simd', { float32OperationOrder: true })).toEqual({
      supported: true,
    });
    // What a backend knows from its own scan decides as the scan would.
    expect(bitExactOnly(plan([0.5, -3e7, 1]), 'x', {}, { finite: true, moderate: false }).supported).toBe(false);
  });
});

describe('SDMLLoss rows float32 cannot resolve (sdmlDistancesResolved)', () => {
  const plan = (x1: number[], x2: number[], dim: number) =>
    planCall('SDMLLoss', parseConfig('SDMLLoss', {}), {
      x1: { data: Float32Array.from(x1), shape: [x1.length / dim, dim] },
      x2: { data: Float32Array.from(x2), shape: [x2.length / dim, dim] },
    });

  it('refuses a row whose nearest distances (near 5.4e10, ulp 4096) lie within reach of each other', () => {
    // Row 0 of x1 is 2.3e5 from both rows of x2, which differ by 1e-3 across that line:
    // its two distances, 5.4e10 and 5.4e10 + 1e-6, are within reach of each other.
    const p = plan([231554.8125, 0, 0, 0], [0, 0, 0, 0.001], 2);
    const got = bitExactOnly(p, 'tfjs-cpu');
    expect(got.supported).toBe(false);
    expect(got.supported ? '' : got.reason).toMatch(/closer than float32 resolves/);
    expect(bitExactOnly(p, 'wasm-simd', { float32OperationOrder: true }).supported).toBe(false);
  });

  it('takes far rows whose runner-up carries no softmax mass, and near rows float32 resolves', () => {
    // Nearest 5.4e10, runner-up 1e6 further: no mass beyond the nearest.
    expect(bitExactOnly(plan([231554.8125, 0, 0, 0], [0, 0, 1000, 0], 2), 'tfjs-cpu').supported).toBe(true);
    // Distances below 2^13: float32 resolves them to 2^-10.
    expect(bitExactOnly(plan([30, 0, 0, 0], [0, 0, 0.001, 0], 2), 'tfjs-cpu').supported).toBe(true);
  });
});
