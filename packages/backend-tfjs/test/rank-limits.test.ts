/**
 * tfjs-wasm's XNNPACK binary kernels take at most 6 axes and return garbage beyond (no
 * error). Element-wise plans are flattened to fewer axes (flatten.ts; the rank-7 and
 * rank-8 goldens check the values); a call that still needs more axes is refused with
 * UnsupportedError before anything is computed, and `supportsCall` says so first.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedError, parseConfig, planCall, type CallPlan, type LossInputs } from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';
import { flattenPlan, planRank } from '../src/flatten.js';

const filled = (shape: number[], f: (i: number) => number) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: size }, (_, i) => f(i)), shape };
};
const plan = (loss: string, inputs: LossInputs, config: Record<string, unknown> = {}): CallPlan =>
  planCall(loss, parseConfig(loss, config), inputs);

describe('flattenPlan', () => {
  it('drops size-1 axes and merges neighbours, keeping the batch axis apart', () => {
    const shape = [2, 1, 3, 1, 2, 2, 1, 2];
    const flat = flattenPlan(plan('L2Loss', { pred: filled(shape, Math.sin), label: filled(shape, Math.cos) }));
    expect(flat.views.pred).toEqual([2, 24]);
    expect(flat.batchAxis).toBe(0);
    expect(flat.outputShape).toEqual([2]);
  });

  it('keeps an axis where one tensor broadcasts and the next does not', () => {
    // Alternating on 4 axes (MXNet's broadcast takes at most 5 once alike axes merge):
    // [2, 2, 2, 2, 8] against [2, 1, 2, 1, 8] flattens to 5 axes, not fewer.
    const shape = [2, 2, 2, 2, 2, 2, 2];
    const flat = flattenPlan(
      plan('L1Loss', {
        pred: filled(shape, Math.sin),
        label: filled(shape, Math.cos),
        sample_weight: filled([2, 1, 2, 1, 2, 2, 2], () => 1),
      }),
    );
    expect(planRank(flat)).toBe(5);
  });

  it("keeps SoftmaxCE's class axis apart and moves detail.axis with it", () => {
    const shape = [2, 3, 2, 5, 2, 2, 2];
    const flat = flattenPlan(
      plan('SoftmaxCELoss', { pred: filled(shape, Math.sin), label: filled([2, 3, 2, 2, 2, 2], () => 1) }, { axis: 3 }),
    );
    expect(flat.views.pred).toEqual([2, 6, 5, 8]);
    expect('axis' in flat.detail && flat.detail.axis).toBe(2);
  });
});

describe('tfjs-wasm refuses what it cannot compute, up front', () => {
  it('a rank-7 TripletLoss (not flattened) is UnsupportedError, named by supportsCall', async () => {
    const backend = createTfjsBackend('wasm');
    if (!(await backend.probe()).available) throw new Error('tfjs-wasm must be available in Node');
    const compiled = await backend.compile('TripletLoss');
    const shape = [2, 1, 2, 1, 2, 1, 2];
    const inputs = {
      pred: filled(shape, Math.sin),
      positive: filled(shape, Math.cos),
      negative: filled(shape, Math.tan),
    };
    const support = compiled.supportsCall!(plan('TripletLoss', inputs));
    expect(support.supported).toBe(false);
    expect(!support.supported && support.reason).toMatch(/rank 7 .*at most 6 axes/);
    await expect(compiled.forward(inputs)).rejects.toBeInstanceOf(UnsupportedError);
    await expect(
      compiled.forwardBackward(
        inputs,
        filled([2], () => 1),
      ),
    ).rejects.toBeInstanceOf(UnsupportedError);
    compiled.dispose();
  });

  it('a rank-7 sample_weight alternating on every axis is refused by MXNet, so by the spec, on every variant', async () => {
    // MXNet 1.9.1: "Too many broadcast dimensions" (more than 5 once alike axes merge);
    // the spec's broadcast rule rejects it before any backend, tfjs-cpu included.
    const shape = [2, 2, 2, 2, 2, 2, 2];
    const inputs = {
      pred: filled(shape, Math.sin),
      label: filled(shape, Math.cos),
      sample_weight: filled([2, 1, 2, 1, 2, 1, 2], () => 1),
    };
    for (const variant of ['wasm', 'cpu'] as const) {
      const compiled = await createTfjsBackend(variant).compile('L1Loss');
      await expect(compiled.forward(inputs)).rejects.toThrow(/at most 5 dimensions/);
      compiled.dispose();
    }
  });
});
