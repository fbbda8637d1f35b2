/**
 * The backend object itself (what the CLI's `--backend ./packages/backend-ts/dist/index.js`
 * loads), and the broadcast offsets that every general path relies on, checked on shapes
 * the goldens do not reach (a 1-D and a size-1-padded source inside a 4-D target).
 */
import { describe, expect, it } from 'vitest';
import { LOSS_NAMES, UnknownLossError, parseConfig, sizeOf, stridesOf } from '@gluon-loss/spec';
import tsBackend, { createTsBackend } from '../src/index.js';
import { broadcastMap, elementOffsets } from '../src/broadcast.js';

describe('the ts backend', () => {
  it('is available in Node and the browser and supports every loss with every option', async () => {
    expect(tsBackend.name).toBe('ts');
    expect([...tsBackend.environments].sort()).toEqual(['browser', 'node']);
    await expect(tsBackend.probe()).resolves.toEqual({ available: true });
    expect(LOSS_NAMES).toHaveLength(14);
    for (const loss of LOSS_NAMES) expect(tsBackend.supports(loss, parseConfig(loss, {}))).toEqual({ supported: true });
  });

  it('compiles by canonical name and alias, and rejects an unknown loss with UnknownLossError', async () => {
    const backend = createTsBackend();
    expect((await backend.compile('SoftmaxCELoss')).loss).toBe('SoftmaxCrossEntropyLoss');
    expect((await backend.compile('CTCLoss', { layout: 'TNC' })).config.layout).toBe('TNC');
    await expect(backend.compile('HingeLos')).rejects.toBeInstanceOf(UnknownLossError);
  });
});

describe('broadcastMap', () => {
  /** The offset of target element `e` in `source`, by explicit index arithmetic. */
  function naiveOffset(source: number[], target: number[], e: number): number {
    const lead = target.length - source.length;
    const sourceStrides = stridesOf(source);
    let rest = e;
    let offset = 0;
    for (let d = target.length - 1; d >= 0; d--) {
      const index = rest % target[d]!;
      rest = Math.floor(rest / target[d]!);
      if (d >= lead && source[d - lead] !== 1) offset += index * sourceStrides[d - lead]!;
    }
    return offset;
  }

  for (const [source, target] of [
    [[4], [2, 3, 1, 4]],
    [
      [3, 1, 1],
      [2, 3, 5, 2],
    ],
    [
      [2, 1, 5, 1],
      [2, 3, 5, 2],
    ],
    [[1], [3, 2, 2, 1]],
    [
      [2, 3, 5, 2],
      [2, 3, 5, 2],
    ],
  ] as [number[], number[]][]) {
    it(`maps [${source}] into [${target}]`, () => {
      const offsets = elementOffsets(broadcastMap(source, target), new Int32Array(sizeOf(target)));
      const expected = Array.from({ length: sizeOf(target) }, (_, e) => naiveOffset(source, target, e));
      expect(Array.from(offsets)).toEqual(expected);
    });
  }
});
