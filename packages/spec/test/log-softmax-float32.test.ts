/**
 * The oneDNN log_softmax rule (src/rules/log-softmax-float32.ts) against MXNet 1.9.1
 * itself: fixtures/log-softmax-float32.json holds mx.nd.log_softmax(x, axis=-1) and its
 * backward for a head gradient dy, on rows of 1 to 70 float32 entries with NaN, ±Inf,
 * ±3e38, subnormals and ±0 mixed in (written by fixtures/log-softmax-float32.py in the
 * generator's venv, oneDNN capped at AVX2 as for the goldens), as bit patterns. The
 * forward must agree bit for bit (NaN with NaN); the backward in class (NaN, ±Inf, ±0) and
 * to 2 ulp (glibc's expf is not correctly rounded; the rule rounds Math.exp).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fma32,
  oneDnnExp,
  oneDnnLog,
  oneDnnLogSoftmaxBackwardRow,
  oneDnnLogSoftmaxRow,
  oneDnnLogSoftmaxSupport,
  parseConfig,
  planCall,
  usesOneDnnLogSoftmax,
} from '../src/index.js';

interface Row {
  readonly x: number[];
  readonly dy: number[];
  readonly logp: number[];
  readonly dx: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/log-softmax-float32.json', import.meta.url), 'utf8')) as {
  rows: Row[];
};

function floats(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/**
 * Differences as `index: got vs MXNet`, NaN equal to NaN and +0 distinct from -0; with
 * `ulps`, finite nonzero values of one sign may differ by that many float32 steps.
 */
function mismatches(got: Float32Array, want: Float32Array, ulps = 0): string[] {
  const gotBits = new Int32Array(got.buffer, got.byteOffset, got.length);
  const wantBits = new Int32Array(want.buffer, want.byteOffset, want.length);
  const out: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    let same = Number.isNaN(w) ? Number.isNaN(g) : Object.is(g, w);
    if (!same && ulps > 0 && Number.isFinite(w) && w !== 0 && Math.sign(g) === Math.sign(w)) {
      same = Math.abs(gotBits[i]! - wantBits[i]!) <= ulps;
    }
    if (!same) out.push(`${i}: ${g} vs ${w}`);
  }
  return out;
}

describe('oneDNN float32 log_softmax (MXNet 1.9.1 capped at AVX2, last axis, rank 1-4)', () => {
  it(`forward matches MXNet bit for bit on ${fixture.rows.length} rows`, () => {
    const bad: string[] = [];
    fixture.rows.forEach((row, r) => {
      const x = floats(row.x);
      const got = new Float32Array(x.length);
      oneDnnLogSoftmaxRow(x, 0, 1, x.length, got);
      for (const m of mismatches(got, floats(row.logp))) bad.push(`row ${r} (${x.length}) ${m}`);
    });
    expect(bad).toEqual([]);
  });

  it(`backward matches MXNet to 2 ulp, Inf and NaN exactly, on ${fixture.rows.length} rows`, () => {
    const bad: string[] = [];
    fixture.rows.forEach((row, r) => {
      const logp = floats(row.logp);
      const got = new Float32Array(logp.length);
      oneDnnLogSoftmaxBackwardRow(logp, floats(row.dy), 0, 1, logp.length, got);
      for (const m of mismatches(got, floats(row.dx), 2)) bad.push(`row ${r} (${logp.length}) ${m}`);
    });
    expect(bad).toEqual([]);
  });

  it('walks a strided row (a column of a row-major matrix) like a contiguous one', () => {
    const row = fixture.rows.find((r) => r.x.length === 33)!;
    const x = floats(row.x);
    const strided = new Float32Array(x.length * 3).fill(7);
    x.forEach((v, c) => (strided[1 + 3 * c] = v));
    const got = new Float32Array(strided.length);
    oneDnnLogSoftmaxRow(strided, 1, 3, x.length, got);
    expect(
      mismatches(
        Float32Array.from(x, (_, c) => got[1 + 3 * c]!),
        floats(row.logp),
      ),
    ).toEqual([]);
  });

  it('has the special values the rows above rest on', () => {
    // [-1.47, NaN] gives [-88.72284, NaN] in MXNet: exp(NaN) is +Inf and log(+Inf) 88.72284.
    expect(oneDnnExp(Number.NaN)).toBe(Infinity);
    expect(oneDnnLog(Infinity)).toBe(Math.fround(88.72284));
    // [100, 0] gives 1.4305115e-6 for the 100: log(1) is not 0.
    expect(oneDnnLog(1)).toBe(-Math.fround(1.4305115e-6));
    expect(oneDnnExp(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(oneDnnExp(-87.4)).toBe(0);
    expect(oneDnnLog(0)).toBe(-Infinity);
    expect(oneDnnLog(-1)).toBeNaN();
  });

  it('fma32 rounds once: a float64 tie that the exact sum breaks', () => {
    // (1 + 2^-23) * 2^-24 (1 - 2^-23) + (1 + 2^-23) = 1 + 2^-23 + 2^-24 - 2^-70 exactly,
    // which rounds down to 1 + 2^-23; rounded to float64 first it is the tie
    // 1 + 2^-23 + 2^-24, whose even float32 neighbour is 1 + 2^-22.
    const a = 1 + 2 ** -23;
    const b = 2 ** -24 * (1 - 2 ** -23);
    expect(Math.fround(a * b + a)).toBe(1 + 2 ** -22);
    expect(fma32(a, b, a)).toBe(1 + 2 ** -23);
    expect(fma32(-a, b, -a)).toBe(-(1 + 2 ** -23));
  });

  it('applies where MXNet takes the oneDNN path: the last axis of rank 1 to 4', () => {
    expect(usesOneDnnLogSoftmax(1, 0)).toBe(true);
    expect(usesOneDnnLogSoftmax(4, -1)).toBe(true);
    expect(usesOneDnnLogSoftmax(4, 3)).toBe(true);
    expect(usesOneDnnLogSoftmax(2, 0)).toBe(false);
    expect(usesOneDnnLogSoftmax(5, -1)).toBe(false);
  });

  it('names the calls a backend with its own log_softmax must refuse: a NaN or +Inf on the oneDNN path', () => {
    const plan = (loss: string, config: object, inputs: Record<string, { data: Float32Array; shape: number[] }>) =>
      oneDnnLogSoftmaxSupport(planCall(loss, parseConfig(loss, config), inputs));
    const t = (values: number[], shape: number[]) => ({ data: new Float32Array(values), shape });
    const label = t([0, 1], [2]);
    expect(plan('SoftmaxCELoss', {}, { pred: t([Number.NaN, 1, 2, 3], [2, 2]), label }).supported).toBe(false);
    expect(plan('SoftmaxCELoss', {}, { pred: t([Infinity, 1, 2, 3], [2, 2]), label }).supported).toBe(false);
    // -Inf alone: oneDNN and the math agree (a masked logit).
    expect(plan('SoftmaxCELoss', {}, { pred: t([-Infinity, 1, 2, 3], [2, 2]), label }).supported).toBe(true);
    // Not oneDNN's path: from_logits, another axis, rank 5.
    expect(plan('SoftmaxCELoss', { from_logits: true }, { pred: t([Number.NaN, 1, 2, 3], [2, 2]), label })).toEqual({
      supported: true,
    });
    expect(plan('SoftmaxCELoss', { axis: 0 }, { pred: t([Number.NaN, 1, 2, 3], [2, 2]), label }).supported).toBe(true);
    const rank5 = t([Number.NaN, 1], [1, 1, 1, 1, 2]);
    expect(plan('SoftmaxCELoss', {}, { pred: rank5, label: t([0], [1, 1, 1, 1]) }).supported).toBe(true);
    const kl = { pred: t([Number.NaN, 0.5], [1, 2]), label: t([0.5, 0.5], [1, 2]) };
    expect(plan('KLDivLoss', { from_logits: false }, kl).supported).toBe(false);
    expect(plan('KLDivLoss', {}, kl).supported).toBe(true);
    const x2 = t([0, 1, 2, 3], [2, 2]);
    expect(plan('SDMLLoss', {}, { x1: t([-Infinity, 1, 2, 3], [2, 2]), x2 }).supported).toBe(false);
    expect(plan('SDMLLoss', {}, { x1: t([3e38, 1, 2, 3], [2, 2]), x2 })).toEqual({ supported: true });
    expect(plan('L2Loss', {}, { pred: t([Number.NaN], [1, 1]), label: t([0], [1, 1]) })).toEqual({ supported: true });
  });
});
