/**
 * The kernels' float32 exp, log and log1p (kernels/vmath.h) against the correctly
 * rounded float32 result (the double-precision Math function rounded once), on a seeded
 * sample of 10^6 values per function spread over the whole domain (random bit patterns
 * and uniform draws over the interesting ranges), and on edge values whose expected
 * results are glibc 2.36's expf/logf/log1pf (printed by ctypes on this machine): specials
 * and thresholds exactly, finite values within the stated bound.
 */
import { describe, expect, it } from 'vitest';
import { KernelHeap, kernelModule } from '../src/kernels.js';

/** The bounds vmath.h states. */
const BOUND = { vexp: 1, vlog: 1, vlog1p: 1 } as const;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** Distance in float32 ulps (both finite), via the ordered integer line. */
function ulps(a: number, b: number): number {
  const order = (x: number): number => {
    f32[0] = x;
    const bits = u32[0]!;
    return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(order(a) - order(b));
}

/** A small seeded generator (mulberry32), so every run draws the same sample. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function run(name: keyof typeof BOUND | 'vlog1p_unit', input: Float32Array): Promise<Float32Array> {
  const call = new KernelHeap(await kernelModule()).begin('vmath');
  const padded = new Float32Array(Math.ceil(input.length / 4) * 4);
  padded.set(input);
  const x = call.putF32(padded);
  const y = call.outF32(padded.length);
  call.kernel(name)(x, y, padded.length);
  return call.takeF32(y, input.length);
}

function sample(name: keyof typeof BOUND, count: number): Float32Array {
  const random = generator(20261201 + name.length);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (i % 2 === 0) {
      // any finite bit pattern (log and log1p: positive, or in (-1, 0) for log1p)
      let v = fromBits(Math.floor(random() * 0x7f800000));
      if (name === 'vexp') v = (r < 0.5 ? -1 : 1) * (v % 110);
      if (name === 'vlog1p' && r < 0.3) v = -(v % 1);
      out[i] = v;
    } else if (name === 'vexp') {
      out[i] = -104 + random() * 193;
    } else if (name === 'vlog') {
      out[i] = random() * 4;
    } else {
      out[i] = -1 + random() * 3;
    }
  }
  return out;
}

const reference = { vexp: Math.exp, vlog: Math.log, vlog1p: Math.log1p } as const;

describe('vectorized float32 exp, log, log1p', () => {
  for (const name of ['vexp', 'vlog', 'vlog1p'] as const) {
    it(`${name} is within ${BOUND[name]} ulp of the correctly rounded result on 10^6 seeded values`, async () => {
      const x = sample(name, 1_000_000);
      const y = await run(name, x);
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; i < x.length; i++) {
        const want = Math.fround(reference[name](x[i]!));
        const got = y[i]!;
        if (!Number.isFinite(want) || !Number.isFinite(got)) {
          expect(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)), `${name}(${x[i]})`).toBe(true);
          continue;
        }
        const d = ulps(got, want);
        if (d > worst) [worst, worstAt] = [d, x[i]!];
      }
      expect(worst, `${name} worst at ${worstAt}`).toBeLessThanOrEqual(BOUND[name]);
    });
  }

  const inf = Infinity;
  // [x, glibc's result]
  const edges: Record<keyof typeof BOUND, readonly [number, number][]> = {
    vexp: [
      [0, 1],
      [-0, 1],
      [inf, inf],
      [-inf, 0],
      [NaN, NaN],
      [fromBits(0x7f7fffff), inf],
      [-fromBits(0x7f7fffff), 0],
      // the overflow threshold: the largest float with a finite expf, then the next
      [fromBits(0x42b17217), 3.402798519021476e38],
      [fromBits(0x42b17218), inf],
      // gradual underflow: the last float whose expf is the smallest subnormal, then 0
      [fromBits(0xc2cff1b4), 1.401298464324817e-45],
      [fromBits(0xc2cff1b5), 0],
      [-87.33654, 1.175499675756452e-38],
      [-88, 6.054601485195952e-39],
      [-100, 3.783505853677006e-44],
      [1, 2.7182817459106445],
      [10, 22026.46484375],
      [1e30, inf],
    ],
    vlog: [
      [0, -inf],
      [-0, -inf],
      [inf, inf],
      [-inf, NaN],
      [NaN, NaN],
      [1, 0],
      [-1, NaN],
      [fromBits(1), -103.2789306640625],
      [fromBits(0x00800000), -87.3365478515625],
      [fromBits(0x7f7fffff), 88.72283935546875],
      [1e-30, -69.07755279541016],
      [0.5, -0.6931471824645996],
      [2, 0.6931471824645996],
      [10, 2.3025851249694824],
    ],
    vlog1p: [
      [0, 0],
      [-0, -0],
      [inf, inf],
      [-inf, NaN],
      [NaN, NaN],
      [-1, -inf],
      [-1.5, NaN],
      [fromBits(1), fromBits(1)],
      [1e-30, Math.fround(1e-30)],
      [-1e-30, Math.fround(-1e-30)],
      [1e-7, 9.999999406318238e-8],
      [-0.999999940395, -16.63553237915039],
      [1, 0.6931471824645996],
      [fromBits(0x7f7fffff), 88.72283935546875],
      [10, 2.397895336151123],
    ],
  };
  for (const name of ['vexp', 'vlog', 'vlog1p'] as const) {
    it(`${name} gives glibc's special values and thresholds`, async () => {
      const x = Float32Array.from(edges[name].map(([v]) => v));
      const y = await run(name, x);
      edges[name].forEach(([v, want], i) => {
        const got = y[i]!;
        const label = `${name}(${v}) = ${got}, glibc ${want}`;
        if (!Number.isFinite(want) || want === 0 || Object.is(want, -0)) {
          expect(Object.is(got, want) || (Number.isNaN(want) && Number.isNaN(got)), label).toBe(true);
        } else {
          expect(Number.isFinite(got), label).toBe(true);
          expect(ulps(got, want), label).toBeLessThanOrEqual(BOUND[name]);
        }
      });
    });
  }

  it('vlog1p_unit (softrelu(-|x|)) gives the same bits as vlog1p on [0, 1] and NaN', async () => {
    const random = generator(7);
    const x = Float32Array.from({ length: 100_000 }, (_, i) =>
      i < 4 ? [0, 1, NaN, fromBits(1)][i]! : i % 2 ? random() : Math.exp(-random() * 110),
    );
    const general = new Uint32Array((await run('vlog1p', x)).buffer);
    const unit = new Uint32Array((await run('vlog1p_unit', x)).buffer);
    let differing = 0;
    for (let i = 0; i < x.length; i++) if (general[i] !== unit[i]) differing++;
    expect(differing).toBe(0);
  });
});
