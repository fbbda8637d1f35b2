/**
 * The kernels written in MXNet's order of float32 operations (kernels/chain.h: the head
 * gradient multiplied in first, each operator's result rounded to float32), on the
 * goldens whose Inf, NaN or cancellation hangs on that order: PoissonNLL's log gradient
 * (g t) (1/x) overflows at a tiny x where g (t/x) stays finite; SigmoidBCE's pos_weight
 * gradients meet Inf - Inf and 0 * Inf where MXNet's do; from_sigmoid's
 * (g z)(1/p) - (g (1 - z))(1/(1 - p)) cancels to MXNet's float32 digits. Expected
 * values are MXNet's (the golden files); non-finite lanes must match exactly. Then the
 * gradient of a broadcast operand, summed back as MXNet's float32 sum (src/broadcast.ts).
 */
import { describe, expect, it } from 'vitest';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ExpectedTensor, GoldenCall } from '@gluon-loss/golden';
import { UnsupportedError, type FloatTensor } from '@gluon-loss/spec';
import { createWasmBackend } from '../src/index.js';

const CASE_NAMES = [
  'PoissonNLLLoss/ieee-log-grad-reciprocal-overflows',
  'PoissonNLLLoss/diff-1-155',
  'PoissonNLLLoss/diff-1-189',
  'SigmoidBinaryCrossEntropyLoss/ieee-3-10',
  'SigmoidBinaryCrossEntropyLoss/ieee-3-12',
  'SigmoidBinaryCrossEntropyLoss/ieee-3-16',
];

const suite = readGoldenDir();
const calls = CASE_NAMES.map((name) => {
  const found = suite.cases.find((c) => c.name === name);
  if (found?.kind !== 'call') throw new Error(`golden case ${name} is missing`);
  return found;
});

/** The runner's default: |got - want| <= 1e-5 + 1e-4 |want|; NaN and infinities exact. */
function expectClose(got: FloatTensor, want: ExpectedTensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  got.data.forEach((g, i) => {
    const w = want.undefinedMask?.[i] ? 0 : want.data[i]!;
    if (!Number.isFinite(w)) expect(g, `${what}[${i}]`).toBe(w);
    else expect(Math.abs(g - w), `${what}[${i}]: got ${g}, want ${w}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(w));
  });
}

describe('kernels in MXNet float32 order', () => {
  it.each(calls.map((golden) => [golden.name, golden] as [string, GoldenCall]))(
    '%s gives MXNet loss and gradients, Inf and NaN included',
    async (_name, golden) => {
      const loss = await createWasmBackend().compile(golden.loss, golden.config);
      // Refused calls throw UnsupportedError: these must run.
      const result = await loss.forwardBackward(golden.inputs, golden.headGrad);
      expectClose(result.loss, golden.expectedLoss, `${golden.name} loss`);
      expect(Object.keys(result.grads).sort()).toEqual(Object.keys(golden.expectedGrads).sort());
      for (const [name, want] of Object.entries(golden.expectedGrads))
        expectClose(result.grads[name]!, want, `${golden.name} grad ${name}`);
      loss.dispose();
    },
  );
});

describe('the gradient of a broadcast operand', () => {
  // MXNet 1.9.1: SigmoidBCELoss()(pred, label, None, pos_weight).backward() on these inputs
  // gives pos_weight.grad [[inf]]: its float32 sum of 3e38 * log 2 over the rows overflows
  // after two of them, and stays Inf though the third is negative (float64 gives 2.08e38).
  it("is summed as MXNet's float32 sum, Inf once a partial sum overflows (pos_weight of SigmoidBCE)", async () => {
    const loss = await createWasmBackend().compile('SigmoidBinaryCrossEntropyLoss', {});
    const result = await loss.forwardBackward(
      {
        pred: { data: new Float32Array([0, 0, 0]), shape: [3, 1] },
        label: { data: new Float32Array([3e38, 3e38, -3e38]), shape: [3, 1] },
        pos_weight: { data: new Float32Array([2]), shape: [1, 1] },
      },
      { data: new Float32Array([1, 1, 1]), shape: [3] },
    );
    expect(Array.from(result.grads.pos_weight!.data)).toEqual([Infinity]);
    for (const g of result.grads.label!.data) expect(Math.abs(g - 0.69314724)).toBeLessThanOrEqual(1e-5 + 1e-4 * 0.7);
    loss.dispose();
  });
});

describe('SigmoidBCE with a scalar weight of 0', () => {
  it('refuses a call with special values (UnsupportedError) and runs one without', async () => {
    const loss = await createWasmBackend().compile('SigmoidBinaryCrossEntropyLoss', { weight: 0 });
    const label = { data: new Float32Array([0, 1, 0]), shape: [1, 3] };
    const head = { data: new Float32Array([0.5]), shape: [1] };
    await expect(
      loss.forwardBackward({ pred: { data: new Float32Array([Infinity, -1, 1]), shape: [1, 3] }, label }, head),
    ).rejects.toBeInstanceOf(UnsupportedError);
    const ordinary = await loss.forwardBackward(
      { pred: { data: new Float32Array([2, -1, 1]), shape: [1, 3] }, label },
      head,
    );
    expect(Array.from(ordinary.grads.pred!.data)).toEqual([0, 0, 0]);
    loss.dispose();
  });
});
