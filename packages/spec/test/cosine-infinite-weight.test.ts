/**
 * The spec's cosineFiniteWeights rule: which CosineEmbeddingLoss calls a backend without
 * MXNet's exact float32 sums refuses (golden CosineEmbeddingLoss/diff-1-129 is the case).
 */
import { describe, expect, it } from 'vitest';
import { cosineFiniteWeights, parseConfig, planCall } from '../src/index.js';

describe('cosineFiniteWeights: CosineEmbeddingLoss under an infinite weight', () => {
  const vectors = { data: new Float32Array([0.3, 0.4, 1, 2]), shape: [2, 2] };
  const label = { data: new Float32Array([1, -1]), shape: [2] };
  const plan = (sampleWeight: number[] | undefined, weight?: number) =>
    planCall('CosineEmbeddingLoss', parseConfig('CosineEmbeddingLoss', weight === undefined ? {} : { weight }), {
      input1: vectors,
      input2: vectors,
      label,
      ...(sampleWeight ? { sample_weight: { data: new Float32Array(sampleWeight), shape: [2, 1] } } : {}),
    });

  it('refuses an infinite sample_weight, naming the backend and the value', () => {
    const refused = cosineFiniteWeights(plan([1, -Infinity]), 'tfjs-cpu');
    expect(refused.supported).toBe(false);
    expect(refused.supported ? '' : refused.reason).toMatch(/^sample_weight\[1\] is -Infinity: tfjs-cpu /);
    const positive = cosineFiniteWeights(plan([Infinity, 1]), 'onnx-node');
    expect(positive.supported ? '' : positive.reason).toMatch(/^sample_weight\[0\] is Infinity: onnx-node /);
  });

  it('takes finite, huge or NaN weights, and every other loss', () => {
    expect(cosineFiniteWeights(plan(undefined), 'tfjs-cpu')).toEqual({ supported: true });
    expect(cosineFiniteWeights(plan([3.4e38, Number.NaN]), 'tfjs-cpu')).toEqual({ supported: true });
    const l2 = planCall('L2Loss', parseConfig('L2Loss', {}), {
      pred: vectors,
      label: vectors,
      sample_weight: { data: new Float32Array([Infinity, 1]), shape: [2, 1] },
    });
    expect(cosineFiniteWeights(l2, 'tfjs-cpu')).toEqual({ supported: true });
  });
});
