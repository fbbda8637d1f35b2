/** The reader: versions 1 and 2, the float64 reference, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { decodeGoldenFile, GOLDEN_FORMAT_VERSION, GOLDEN_FORMAT_VERSIONS, type GoldenCall } from '../src/index.js';
import { readGoldenDir } from '../src/node.js';

const f32 = (data: unknown[], shape = [data.length]) => ({ dtype: 'float32', shape, data });
const f64 = (data: unknown[], shape = [data.length]) => ({ dtype: 'float64', shape, data });

function file(version: number, extra: Record<string, unknown> = {}, ref64?: unknown) {
  return {
    format: 'gluon-loss-golden',
    formatVersion: version,
    reference: { mxnet: '1.9.1' },
    loss: 'CTCLoss',
    cases: [
      {
        name: 'CTCLoss/x',
        loss: 'CTCLoss',
        description: 'd',
        config: {},
        inputs: { pred: f32([1, 2], [1, 1, 2]), label: f32([0], [1, 1]) },
        headGrad: f32([1]),
        expected: {
          loss: f32([0.5]),
          grads: { pred: f32([null, 0.25], [1, 1, 2]) },
          ...(ref64 === undefined ? {} : { ref64 }),
        },
        ...extra,
      },
    ],
  };
}

const goodRef = { loss: f64([0.5000000123456789]), grads: { pred: f64([null, 'Infinity'], [1, 1, 2]) } };

describe('golden format versions', () => {
  it('writes version 2 and reads 1 and 2', () => {
    expect(GOLDEN_FORMAT_VERSION).toBe(2);
    expect(GOLDEN_FORMAT_VERSIONS).toEqual([1, 2]);
    expect(() => decodeGoldenFile(file(3, {}, goodRef))).toThrow(/format version 3/);
  });

  it('reads a version-1 case without a float64 reference', () => {
    const c = decodeGoldenFile(file(1)).cases[0] as GoldenCall;
    expect(c.ref64).toBeUndefined();
    expect(c.expectedLoss.data[0]).toBe(0.5);
  });

  it('reads the float64 reference of a version-2 case exactly, with its undefined elements and infinities', () => {
    const c = decodeGoldenFile(file(2, {}, goodRef)).cases[0] as GoldenCall;
    expect(c.ref64!.loss.data[0]).toBe(0.5000000123456789);
    expect(Array.from(c.ref64!.grads.pred!.undefinedMask!)).toEqual([1, 0]);
    expect(c.ref64!.grads.pred!.data[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it('accepts the headGradDefault marker of a version-2 case', () => {
    expect(() => decodeGoldenFile(file(2, { headGradDefault: true }, goodRef))).not.toThrow();
  });

  it('refuses a version-2 call case without a reference, or one that does not fit its expected values', () => {
    expect(() => decodeGoldenFile(file(2))).toThrow(/without expected.ref64/);
    const otherShape = { ...goodRef, loss: f64([0.5, 0.5]) };
    expect(() => decodeGoldenFile(file(2, {}, otherShape))).toThrow(/ref64 loss differs/);
    const otherMask = { ...goodRef, grads: { pred: f64([0.1, 0.25], [1, 1, 2]) } };
    expect(() => decodeGoldenFile(file(2, {}, otherMask))).toThrow(/undefined elements/);
    const otherGrads = { ...goodRef, grads: {} };
    expect(() => decodeGoldenFile(file(2, {}, otherGrads))).toThrow(/ref64 grads/);
  });

  it('finds a float64 reference for every call of the shipped goldens', () => {
    const calls = readGoldenDir().cases.filter((c) => c.kind === 'call');
    expect(calls.length).toBeGreaterThan(300);
    for (const c of calls) expect(c.ref64, c.name).toBeDefined();
  });
});
