/**
 * The tolerance rule of tolerances.ts: the fixed rule against MXNet's float32 value, or,
 * for a version-2 golden, the float64 rule against its float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { compareTensor, float32Ulp, runConformance, FLOAT64_RULE } from '../src/index.js';
import { fakeBackend, l1Suite } from './fixtures/fake-backends.js';

const tol = { rtol: 1e-4, atol: 1e-5 };
const tensor = (data: number[]) => ({ shape: [data.length], data: Float64Array.from(data) });
const got = (data: number[]) => ({ shape: [data.length], data: Float32Array.from(data) });

// MXNet's float32 values and a float64 reference 1e-4 away on the large element: e = 1e-4.
const mx32 = tensor([10, 0.001]);
const ref64 = tensor([10.0001, 0.001]);

describe('the fixed rule', () => {
  it('passes a value within atol + rtol |mx32|, with or without a float64 reference', () => {
    for (const ref of [undefined, ref64]) {
      const c = compareTensor(got([10.0009, 0.001005]), mx32, tol, ref);
      expect(c.ok).toBe(true);
      expect(c.passedByFloat64).toBe(0);
    }
  });
});

describe('the float64 rule', () => {
  it('passes a value outside the fixed rule but within K max(e, 1 ulp) of the reference', () => {
    // 0.001 + 3e-4: 3e-4 from MXNet's 0.001 (fixed bound 1.01e-5), 3e-4 <= 4 e = 4e-4 from ref64.
    const c = compareTensor(got([10, 0.0013]), mx32, tol, ref64);
    expect(c).toMatchObject({ ok: true, rule: 'fixed-or-float64', passedByFloat64: 1 });
    expect(c.float64Bound).toBeCloseTo(4e-4, 9);
  });

  it('fails a value outside both, and says which rules it missed', () => {
    const c = compareTensor(got([10, 0.0015]), mx32, tol, ref64);
    expect(c.ok).toBe(false);
    expect(c.mismatch).toMatch(/^element 1 \[1\]: got 0\.0015.*expected 0\.001 \(float64 0\.001\)/);
    expect(c.mismatch).toContain('fixed rule: |got - mxnet|');
    expect(c.mismatch).toContain('float64 rule: |got - ref64|');
    expect(c.mismatch).toContain(`K ${FLOAT64_RULE.k}`);
  });

  it('takes at least one float32 ulp of the largest value as MXNet error', () => {
    const exact = tensor([1000, 0]);
    const ulp = float32Ulp(1000); // 6.1e-5; the fixed bound at 0 is 1e-5
    expect(ulp).toBe(2 ** -14);
    expect(compareTensor(got([1000, 3.5 * ulp]), exact, tol, exact).ok).toBe(true);
    expect(compareTensor(got([1000, 4.5 * ulp]), exact, tol, exact).ok).toBe(false);
  });

  it('is capped at 1e-3 of the tensor largest magnitude, however poor MXNet float32 was', () => {
    // MXNet 0.02 away from the reference (e = 0.02): 4 e would be 0.08, the cap is 1e-3 * 10 = 0.01.
    const poor = tensor([10, 1]);
    const reference = tensor([10, 1.02]);
    const c = compareTensor(got([10, 1.011]), poor, tol, reference);
    expect(c.float64Bound).toBeCloseTo(0.01, 12);
    expect(c.ok).toBe(true);
    expect(compareTensor(got([10, 1.031]), poor, tol, reference).ok).toBe(false);
  });
});

describe('non-finite values', () => {
  it('must match MXNet exactly, whatever the reference', () => {
    const mx = tensor([Number.NaN, Number.POSITIVE_INFINITY, 1]);
    const ref = tensor([0.5, 3e38, 1]); // finite in float64: float32 overflowed or gave NaN
    expect(compareTensor(got([Number.NaN, Number.POSITIVE_INFINITY, 1]), mx, tol, ref).ok).toBe(true);
    expect(compareTensor(got([0.5, Number.POSITIVE_INFINITY, 1]), mx, tol, ref).ok).toBe(false);
    expect(compareTensor(got([Number.NaN, 3e38, 1]), mx, tol, ref).ok).toBe(false);
    expect(compareTensor(got([Number.NaN, Number.NEGATIVE_INFINITY, 1]), mx, tol, ref).ok).toBe(false);
  });

  it('where only the reference is non-finite, leave MXNet finite value to the fixed rule', () => {
    const mx = tensor([3e38, 1]);
    const ref = tensor([Number.POSITIVE_INFINITY, 1]);
    expect(compareTensor(got([3e38, 1]), mx, tol, ref).ok).toBe(true);
    expect(compareTensor(got([Number.POSITIVE_INFINITY, 1]), mx, tol, ref).ok).toBe(false);
    const c = compareTensor(got([2.9e38, 1]), mx, tol, ref);
    expect(c.ok).toBe(false);
    expect(c.mismatch).toContain('the float64 reference is non-finite here');
  });

  it('give a backend NaN or infinity for a finite MXNet value no pass', () => {
    expect(compareTensor(got([Number.NaN, 0.001]), mx32, tol, ref64).ok).toBe(false);
    expect(compareTensor(got([Number.POSITIVE_INFINITY, 0.001]), mx32, tol, ref64).ok).toBe(false);
  });
});

describe('version 1 and version 2 goldens', () => {
  it('judge a version-1 case by the fixed rule alone', async () => {
    // The fake backend's loss is 0.501 where MXNet gave 0.5.
    const [r] = (
      await runConformance({ backends: [fakeBackend('off-by-a-bit')], suite: l1Suite(), filter: 'L1Loss/by-hand' })
    ).results;
    expect(r).toMatchObject({ status: 'fail', rule: 'fixed' });
    expect(r!.message).toContain('fixed rule');
    expect(r!.message).not.toContain('float64 rule');
  });

  it('pass the same value in a version-2 case whose reference shows MXNet 4e-4 off', async () => {
    const suite = l1Suite([0.5004, 2.5]);
    const [r] = (await runConformance({ backends: [fakeBackend('off-by-a-bit')], suite, filter: 'L1Loss/by-hand' }))
      .results;
    expect(r).toMatchObject({ status: 'pass', rule: 'fixed-or-float64' });
  });

  it('fail it in a version-2 case whose reference agrees with MXNet, naming both rules', async () => {
    const suite = l1Suite([0.5, 2.5]);
    const [r] = (await runConformance({ backends: [fakeBackend('off-by-a-bit')], suite, filter: 'L1Loss/by-hand' }))
      .results;
    expect(r).toMatchObject({ status: 'fail', rule: 'fixed-or-float64' });
    expect(r!.message).toContain('fixed rule');
    expect(r!.message).toContain('float64 rule');
  });
});
