/**
 * MXNet's index rules (src/rules). Every expected value here was produced by
 * mxnet==1.9.1 (the generator's venv, x86-64 wheel); the call that produced it is named
 * beside it.
 */
import { describe, expect, it } from 'vitest';
import { ctcIndexValue, ctcIndexValues, ctcNanGradient, ctcSamples, pickIndex, pickIndices } from '../src/index.js';

describe('pickIndex: sparse label to class index (cast toward zero, x86 overflow, clip)', () => {
  it('matches mx.nd.pick(x, label, axis=-1) on 4 classes, x = tile(arange(4))', () => {
    // mx.nd.pick(nd.array(np.tile(np.arange(4, dtype='float32'), (14, 1))), nd.array(labels), axis=-1)
    // gave [0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 3, 0, 0].
    const labels = [
      3e9,
      1e10,
      -5,
      2.7,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0.5,
      -1.5,
      2147483520, // the largest float32 below 2^31: inside int32, clipped to 3
      -2147483648,
      3.999,
      2147483647, // float32 rounds it to 2^31: outside int32, INT_MIN, class 0
      -2147483904,
    ];
    const mxnet = [0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 3, 0, 0];
    expect(Array.from(pickIndices(Float32Array.from(labels), 4))).toEqual(mxnet);
    expect(labels.map((v) => pickIndex(Math.fround(v), 4))).toEqual(mxnet);
  });

  it('reads an Int32Array label as its integers, clipped', () => {
    expect(Array.from(pickIndices(Int32Array.from([-3, 0, 2, 7]), 5))).toEqual([0, 0, 2, 4]);
  });
});

describe('ctcIndexValue: labels and lengths rounded half away from zero', () => {
  // Each pair gave the same CTCLoss()(pred, label) in mxnet 1.9.1 for
  // pred = np.random.RandomState(0).randn(2, 5, 4): the fractional labels are read as the
  // rounded ones. [[0.5, 1.5, -1], [2.5, -1, -1]] == [[1, 2, -1], [3, -1, -1]] (5.36336, 7.47252);
  // [[0.49, 1.51, -1], [-0.49, -1, -1]] == [[0, 2, -1], [0, -1, -1]] (3.00048, 5.11631);
  // [[0, 1, -0.5], [-0.6, -1, -1]] == [[0, 1, -1], [-1, -1, -1]] (3.57847, 10.18057);
  // [[0, 1, -0.4], [2, -1.4, 0]] == [[0, 1, 0], [2, -1, -1]] (2.38229, 6.79979);
  // pred_lengths [4.5, 2.5] == [5, 3]; [4.49, 0.5] == [4, 1];
  // label_lengths [1.5, 0.5] == [2, 1]; [1.49, 0.51] == [1, 1].
  it('rounds as MXNet reads them', () => {
    const pairs: [number, number][] = [
      [0.5, 1],
      [1.5, 2],
      [2.5, 3],
      [0.49, 0],
      [1.51, 2],
      [-0.49, 0],
      [-0.5, -1],
      [-0.6, -1],
      [-0.4, 0],
      [-1.4, -1],
      [4.5, 5],
      [4.49, 4],
      [0.51, 1],
    ];
    for (const [raw, read] of pairs) expect(ctcIndexValue(Math.fround(raw)) + 0).toBe(read);
    expect(Array.from(ctcIndexValues(Float32Array.from([-0.4, 2.5, -0.6])))).toEqual([0, 3, -1]);
    expect(Object.is(ctcIndexValues(Float32Array.from([-0.4]))[0], 0)).toBe(true);
  });

  it('builds the label rows MXNet reads: rounded, ended by the (rounded) padding -1', () => {
    const dims = { n: 2, t: 5, c: 4, labelLength: 3, timeMajor: false, labelTimeMajor: false };
    const rows = ctcSamples(dims, Float32Array.from([0, 1, -0.5, -0.6, -1, -1]));
    expect(rows.map((r) => r.labels)).toEqual([[0, 1], []]);
    const tn = ctcSamples({ ...dims, labelTimeMajor: true }, Float32Array.from([0.7, 2.9, 1.2, -1, -1, -1]));
    expect(tn.map((r) => r.labels)).toEqual([[1, 1], [3]]);
    expect(tn[0]).toMatchObject({ repeats: 1, steps: 5, fits: true });
    const lengths = ctcSamples(
      dims,
      Float32Array.from([0, 1, 2, 2, 1, 0]),
      Float32Array.from([4.5, 2.5]),
      Float32Array.from([1.5, 0.5]),
    );
    expect(lengths.map((r) => [r.labels, r.steps])).toEqual([
      [[0, 1], 5],
      [[2], 3],
    ]);
  });

  it('says which samples cannot fit (MXNet: loss 0 before reading pred)', () => {
    // CTCLoss()(pred with a NaN at [0, 1, 1], [[1, 1, 1, 1], [0, -1, -1, -1]]) gave [0, 5.11631]:
    // four repeated labels need 7 steps, T = 5.
    const dims = { n: 2, t: 5, c: 4, labelLength: 4, timeMajor: false, labelTimeMajor: false };
    const rows = ctcSamples(dims, Float32Array.from([1, 1, 1, 1, 0, -1, -1, -1]));
    expect(rows.map((r) => r.fits)).toEqual([false, true]);
    const pred = new Float32Array(2 * 5 * 4);
    pred[1 * 4 + 1] = Number.NaN;
    expect(ctcNanGradient(dims, pred, rows)).toBeNull();
  });
});

describe('ctcNanGradient: where MXNet CTC gives NaN', () => {
  // CTCLoss()(pred, [[0, 1, -1], [2, -1, -1]]) on pred = np.random.RandomState(0).randn(2, 5, 4)
  // with pred[0, 2, 1] = nan (or inf): loss [nan, 6.7998]; the gradient of sample 0 is NaN at
  // (t, k) = every k of t = 2, and (0,0) (0,3) (1,0) (1,1) (1,3) (3,0) (3,1) (3,3) (4,1) (4,3).
  const dims = { n: 2, t: 5, c: 4, labelLength: 3, timeMajor: false, labelTimeMajor: false };
  const label = Float32Array.from([0, 1, -1, 2, -1, -1]);
  const nanAt = [
    [0, 0],
    [0, 3],
    [1, 0],
    [1, 1],
    [1, 3],
    [2, 0],
    [2, 1],
    [2, 2],
    [2, 3],
    [3, 0],
    [3, 1],
    [3, 3],
    [4, 1],
    [4, 3],
  ];
  for (const special of [Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`${special} in one activation`, () => {
      const pred = new Float32Array(40).map((_, i) => Math.sin(i));
      pred[2 * 4 + 1] = special;
      const pattern = ctcNanGradient(dims, pred, ctcSamples(dims, label))!;
      expect(Array.from(pattern.loss)).toEqual([1, 0]);
      const want = new Uint8Array(40);
      for (const [t, k] of nanAt) want[t! * 4 + k!] = 1;
      expect(Array.from(pattern.grad)).toEqual(Array.from(want));
    });
  }

  it('a -Inf activation alone changes nothing (MXNet: finite loss 3.5461)', () => {
    const pred = new Float32Array(40);
    pred[2 * 4 + 1] = Number.NEGATIVE_INFINITY;
    expect(ctcNanGradient(dims, pred, ctcSamples(dims, label))).toBeNull();
  });

  it('a step of only -Inf is a NaN step; the label [0, 1] pattern', () => {
    // pred[0, 1, :] = -inf, label [[0, 1], [0, -1]]: loss [nan, 5.11631]; sample 0's gradient
    // is finite only at (0, 1) (0, 2) (2, 2) (3, 2) (4, 0) (4, 2).
    const d = { ...dims, labelLength: 2 };
    const pred = new Float32Array(40);
    for (let k = 0; k < 4; k++) pred[4 + k] = Number.NEGATIVE_INFINITY;
    const pattern = ctcNanGradient(d, pred, ctcSamples(d, Float32Array.from([0, 1, 0, -1])))!;
    expect(Array.from(pattern.loss)).toEqual([1, 0]);
    const finite = new Set([1, 2, 10, 14, 16, 18]);
    expect(Array.from(pattern.grad.subarray(0, 20))).toEqual(
      Array.from({ length: 20 }, (_, i) => (finite.has(i) ? 0 : 1)),
    );
    expect(pattern.grad.subarray(20).every((v) => v === 0)).toBe(true);
  });

  it('ignores steps past pred_lengths (MXNet: same loss [2.2515, 4.084] as without the NaN)', () => {
    const pred = new Float32Array(40);
    for (let k = 0; k < 4; k++) pred[4 * 4 + k] = Number.NaN; // sample 0, t = 4
    const pattern = ctcNanGradient(dims, pred, ctcSamples(dims, label, Float32Array.from([4, 3])));
    expect(pattern).toBeNull();
  });
});
