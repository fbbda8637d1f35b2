/**
 * The softmax-row losses on special values (issue 14): each golden below once came out of
 * this backend with an Inf where MXNet has NaN, or a finite value where MXNet overflows
 * (an intermediate of another order: `G * sum(label)`, `(softmax - 1) * G`, `label /
 * (label + 1e-12)`, `2 * dd * diff`). Here every element of the loss and the gradients must
 * be of MXNet's class (NaN, +Inf, -Inf or finite), the expected values read from the
 * golden files; their values are the conformance suite's. Also: the broadcast gradient
 * sum overflows as MXNet's float32 sum does, a loss element near 0 under an infinite
 * weight on oneDNN's path is refused (the spec's bitExactOnly), and a oneDNN log_softmax row
 * with a NaN is still refused.
 */
import { describe, expect, it } from 'vitest';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ExpectedTensor, GoldenCall } from '@gluon-loss/golden';
import { UnsupportedError, type FloatTensor } from '@gluon-loss/spec';
import { broadcastMap, sumToSource } from '../src/broadcast.js';
import { createWasmBackend } from '../src/index.js';

const CASE_NAMES = [
  'SoftmaxCrossEntropyLoss/diff-1-195',
  // (SoftmaxCrossEntropyLoss/ieee-pick-inf-weight, an infinite sample_weight on oneDNN's
  // path, is refused since by the spec's bitExactOnly: see the refusal test below.)
  'KLDivLoss/ieee-3-19',
  'KLDivLoss/ieee-3-24',
  'KLDivLoss/ieee-3-26',
  'KLDivLoss/diff-1-879',
  'SDMLLoss/diff-1-78',
];

const suite = readGoldenDir();

function golden(name: string): GoldenCall {
  const found = suite.cases.find((c) => c.name === name);
  if (found?.kind !== 'call') throw new Error(`golden case ${name} is missing`);
  return found;
}

function classOf(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return 'finite';
}

function expectClasses(got: FloatTensor, want: ExpectedTensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  const mismatches: string[] = [];
  got.data.forEach((g, i) => {
    if (want.undefinedMask?.[i]) return;
    const w = want.data[i]!;
    if (classOf(g) !== classOf(w)) mismatches.push(`[${i}] got ${g}, MXNet ${w}`);
  });
  expect(mismatches, what).toEqual([]);
}

describe.each([
  ['wasm-simd', {}],
  ['wasm-simd-mt', { threads: 2 }],
] as const)('%s on special values', (_name, options) => {
  it.each(CASE_NAMES)('%s: every element is of MXNet float32 class', async (name) => {
    const g = golden(name);
    const backend = createWasmBackend(options);
    try {
      const loss = await backend.compile(g.loss, g.config);
      const inputs = g.inputs as Record<string, FloatTensor>;
      const result = g.headGradDefault
        ? await loss.forwardBackward(inputs)
        : await loss.forwardBackward(inputs, g.headGrad);
      expectClasses(result.loss, g.expectedLoss, `${name} loss`);
      for (const [input, want] of Object.entries(g.expectedGrads)) {
        expectClasses(result.grads[input]!, want, `${name} grad ${input}`);
      }
    } finally {
      await backend.dispose?.();
    }
  });
});

describe('the softmax-row losses', () => {
  it('sum a broadcast gradient as MXNet float32 sum: a partial sum past float32 range stays Inf', () => {
    const out = new Float64Array(1);
    // 3e38 + 3e38 leaves float32's range; the -3e38 after it does not bring it back.
    sumToSource(new Float32Array([3e38, 3e38, -3e38]), broadcastMap([1], [3]), out);
    expect(out[0]).toBe(Infinity);
  });

  it("refuse an infinite sample_weight on oneDNN's path (the spec's bitExactOnly), and take it elsewhere", async () => {
    const backend = createWasmBackend();
    const loss = await backend.compile('SoftmaxCrossEntropyLoss', {});
    // The differential's SoftmaxCrossEntropyLoss/diff-1-1463 (seed 1), minimized: MXNet's
    // loss is -Inf (oneDNN's logp of the max is +1.43e-6), the math's 0 * Inf = NaN.
    const nearZero = {
      pred: { data: new Float32Array([-Infinity, 2.4043128490448]), shape: [1, 2] },
      label: { data: new Float32Array([1]), shape: [1] },
      sample_weight: { data: new Float32Array([Infinity]), shape: [1, 1] },
    };
    await expect(loss.forward(nearZero)).rejects.toBeInstanceOf(UnsupportedError);
    await expect(loss.forward(nearZero)).rejects.toThrow(
      /sample_weight\[0\] is Infinity: it multiplies log-probabilities/,
    );
    // from_logits: no log_softmax, so no oneDNN rounding, and the call runs (MXNet 1.9.1: [-inf]).
    const logits = await backend.compile('SoftmaxCrossEntropyLoss', { from_logits: true });
    expect(Array.from((await logits.forward(nearZero)).loss.data)).toEqual([-Infinity]);
    await backend.dispose?.();
  });

  it("refuse an infinite dense label beside a log-probability near 0 on oneDNN's path", async () => {
    const backend = createWasmBackend();
    const loss = await backend.compile('SoftmaxCrossEntropyLoss', { sparse_label: false });
    // The differential's SoftmaxCrossEntropyLoss/diff-3-122 (seed 3), minimized: a one-entry
    // row, MXNet's loss is +Inf (oneDNN's logp is +1.43e-6), the math's -Inf * 0 = NaN.
    const inputs = {
      pred: { data: new Float32Array([-0]), shape: [1] },
      label: { data: new Float32Array([-Infinity]), shape: [1] },
    };
    await expect(loss.forward(inputs)).rejects.toThrow(/label\[0\] is -Infinity: it multiplies log-probabilities/);
    await backend.dispose?.();
  });

  it('still refuse a oneDNN log_softmax row holding a NaN (bitExactOnly)', async () => {
    const backend = createWasmBackend();
    const loss = await backend.compile('SoftmaxCrossEntropyLoss', {});
    const inputs = {
      pred: { data: new Float32Array([-1.47, NaN, 0.5, 1]), shape: [2, 2] },
      label: { data: new Float32Array([0, 1]), shape: [2] },
    };
    await expect(loss.forward(inputs)).rejects.toBeInstanceOf(UnsupportedError);
    await backend.dispose?.();
  });
});
