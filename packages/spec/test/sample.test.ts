import { describe, expect, it } from 'vitest';
import { LOSS_NAMES, lossSpec, parseConfig, planCall, sampleMatrix, seededRng, sizeOf } from '../src/index.js';

const MAIN_INPUT: Readonly<Record<string, string>> = { CosineEmbeddingLoss: 'input1', SDMLLoss: 'x1' };

describe("each loss's sample inputs", () => {
  it.each(LOSS_NAMES)('%s: are accepted by the spec at every size', (loss) => {
    for (const size of [1, 32, 1000, 65536]) {
      const inputs = lossSpec(loss).sampleInputs(size, seededRng(`${loss}/${size}`));
      const plan = planCall(loss, parseConfig(loss), inputs);
      expect(Object.keys(plan.tensors)).toEqual(Object.keys(inputs));
      for (const t of Object.values(inputs)) expect(t.data.every(Number.isFinite)).toBe(true);
      const main = inputs[MAIN_INPUT[loss] ?? 'pred']!.data.length;
      // About `size` elements: SDML caps its batch, a size of 1 still needs a valid call.
      if (size >= 32) expect(main).toBeGreaterThanOrEqual(size / 4);
      if (loss !== 'CTCLoss' || size >= 1000) expect(main).toBeLessThanOrEqual(Math.max(size * 4, 160));
    }
  });

  it.each(LOSS_NAMES)('%s: are the same for the same seed, and differ for another', (loss) => {
    const a = lossSpec(loss).sampleInputs(256, seededRng('a'));
    const b = lossSpec(loss).sampleInputs(256, seededRng('a'));
    const c = lossSpec(loss).sampleInputs(256, seededRng('c'));
    const first = Object.keys(a)[0]!;
    expect(a[first]!.data).toEqual(b[first]!.data);
    expect(a[first]!.data).not.toEqual(c[first]!.data);
  });

  it('take a given shape for the main input', () => {
    const ctc = lossSpec('CTCLoss').sampleInputs([32, 100, 32], seededRng(1));
    expect(ctc.pred!.shape).toEqual([32, 100, 32]);
    expect(ctc.label!.shape).toEqual([32, 20]);
    expect(Math.max(...ctc.label!.data)).toBeLessThan(31); // never the blank, the last channel
    const sce = lossSpec('SoftmaxCrossEntropyLoss').sampleInputs([1024, 1000], seededRng(2));
    expect(sce.label!.shape).toEqual([1024]);
    expect(sce.label!.data.every((v) => Number.isInteger(v) && v >= 0 && v < 1000)).toBe(true);
  });
});

describe('sampleMatrix', () => {
  it('gives square powers of two at 1K, 64K and 1M elements, and keeps a shape', () => {
    expect([1024, 65536, 1 << 20].map(sampleMatrix)).toEqual([
      [32, 32],
      [256, 256],
      [1024, 1024],
    ]);
    expect(sampleMatrix(32)).toEqual([4, 8]);
    expect(sampleMatrix([3, 4, 5])).toEqual([3, 20]);
    expect(sizeOf(sampleMatrix(1))).toBe(1);
  });
});
