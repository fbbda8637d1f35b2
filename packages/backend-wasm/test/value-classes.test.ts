/**
 * KernelCall.scanValues, the SIMD pass (kernels/value-classes.c) that decides a call's
 * layout and its refusals: NOT_ORDINARY exactly where the spec's ordinaryValues finds a
 * value, NOT_FINITE exactly where a NaN or an infinity is, at every position of a block
 * of 16, of a 1024-value stretch and of the scalar tail; its copy is the one the kernel reads.
 */
import { describe, expect, it } from 'vitest';
import { ordinaryValues, parseConfig, planCall } from '@gluon-loss/spec';
import { KernelHeap, kernelModule, NOT_FINITE, NOT_ORDINARY } from '../src/kernels.js';

const SMALLEST_NORMAL = 1.1754943508222875e-38;
const LARGEST_SUBNORMAL = 1.1754942106924411e-38;

/** Values at and around each edge of "ordinary": [value, ordinary]. */
const EDGES: readonly (readonly [number, boolean])[] = [
  [0, true],
  [-0, true],
  [1, true],
  [-2.5, true],
  [SMALLEST_NORMAL, true],
  [-SMALLEST_NORMAL, true],
  [2 ** 24, true],
  [-(2 ** 24), true],
  [LARGEST_SUBNORMAL, false],
  [-1e-45, false],
  [2 ** 24 + 2, false],
  [-3.4028234663852886e38, false],
  [Infinity, false],
  [-Infinity, false],
  [NaN, false],
];

/** Whether the spec's ordinaryValues takes `data` as an L2Loss pred. */
function specOrdinary(data: Float32Array): boolean {
  const plan = planCall('L2Loss', parseConfig('L2Loss', {}), {
    pred: { data, shape: [data.length] },
    label: { data: new Float32Array(data.length), shape: [data.length] },
  });
  return ordinaryValues(plan, 'wasm-simd').supported;
}

describe('KernelCall.scanValues', () => {
  it("finds the spec's ordinary values and the non-finite ones, at every position of a SIMD block, a stretch and the tail", async () => {
    const heap = new KernelHeap(await kernelModule());
    for (const length of [1, 15, 16, 17, 37, 64, 1024, 1040, 2061]) {
      for (const [value, ordinary] of EDGES) {
        for (const at of [0, 3, 15, 16, 1023, 1024, 1039, length - 1]) {
          if (at >= length) continue;
          const data = new Float32Array(length).fill(0.75);
          data[at] = value;
          const call = heap.begin('L2Loss');
          const classes = call.scanValues(data);
          call.end();
          const what = `${value} at ${at} of ${length}`;
          expect((classes & NOT_ORDINARY) === 0, what).toBe(specOrdinary(data));
          expect((classes & NOT_ORDINARY) === 0, what).toBe(ordinary);
          expect((classes & NOT_FINITE) !== 0, what).toBe(!Number.isFinite(value));
        }
      }
    }
  });

  it('hands its copy to the next putF32 of the same array, and a second putF32 makes its own', async () => {
    const call = new KernelHeap(await kernelModule()).begin('L2Loss');
    const data = new Float32Array([1, NaN, 3, 4]);
    expect(call.scanValues(data)).toBe(NOT_ORDINARY | NOT_FINITE);
    expect(call.scanValues(data)).toBe(NOT_ORDINARY | NOT_FINITE);
    const first = call.putF32(data);
    expect(Array.from(call.f32(first, 4))).toEqual([1, NaN, 3, 4]);
    const second = call.putF32(data);
    expect(second).not.toBe(first);
    expect(Array.from(call.f32(second, 4))).toEqual([1, NaN, 3, 4]);
    // Asked again once its copy is taken (TripletLoss asks after its copies), it answers
    // from what it read, without a third copy: the next allocation comes right after `second`.
    expect(call.scanValues(data)).toBe(NOT_ORDINARY | NOT_FINITE);
    expect(call.outF32(4)).toBe(second + 16);
    call.end();
  });
});
