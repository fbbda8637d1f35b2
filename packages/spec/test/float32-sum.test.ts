import { describe, expect, it } from 'vitest';
import { addFloat32, KAHAN_EXACT_BELOW, KahanSum, KahanSums } from '../src/index.js';

const FLT_MAX = 3.4028234663852886e38;
// Found by a search over three terms: every float64 partial sum stays within float32's range
// (-2.93e38, -2.39e38, 1.01e38), but Kahan's `v - residual` rounds FLT_MAX past it.
const SWING = [Math.fround(-2.9316748550900304e38), Math.fround(5.38143337045032e37), FLT_MAX];

describe("mshadow's float32 Kahan sum", () => {
  it('overflows where its compensation does, though a float64 running sum stays finite', () => {
    let float64 = 0;
    for (const v of SWING) float64 = addFloat32(float64, v);
    expect(Number.isFinite(float64)).toBe(true);
    const kahan = new KahanSum();
    for (const v of SWING) kahan.add(v);
    expect(kahan.sum).toBe(Infinity);
    // The case is past the bound where the float64 sum stands for it.
    expect(Math.abs(SWING[0]!)).toBeGreaterThan(KAHAN_EXACT_BELOW);
  });

  it('compensates: 1 + 2^-24 + 2^-24 is 1 + 2^-23, where a float32 running sum stays at 1', () => {
    const kahan = new KahanSum();
    for (const v of [1, 2 ** -24, 2 ** -24]) kahan.add(v);
    expect(kahan.sum).toBe(1 + 2 ** -23);
    let plain = 0;
    for (const v of [1, 2 ** -24, 2 ** -24]) plain = Math.fround(plain + v);
    expect(plain).toBe(1);
  });

  it('stays at Inf once a partial sum overflows, and gives NaN when the other infinity follows', () => {
    const kahan = new KahanSum();
    for (const v of [FLT_MAX, FLT_MAX, -FLT_MAX]) kahan.add(v);
    expect(kahan.sum).toBe(Infinity);
    kahan.add(-Infinity);
    expect(kahan.sum).toBeNaN();
    expect(kahan.reset().sum).toBe(0);
  });

  it('keeps one sum per group, each as a KahanSum of its own terms', () => {
    const sums = new KahanSums(2);
    const one = new KahanSum();
    for (const v of SWING) {
      sums.add(0, v);
      sums.add(1, 1);
      one.add(v);
    }
    expect(sums.sums[0]).toBe(one.sum);
    expect(sums.sums[1]).toBe(3);
  });
});
