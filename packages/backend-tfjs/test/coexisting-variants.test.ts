/**
 * tfjs-cpu and tfjs-wasm in one process, as the conformance runner uses them: tfjs has
 * one active backend, so each call must switch to its own. Calls are fired on both
 * variants at once, interleaved, and every result must still be MXNet's (the goldens,
 * with the runner's default tolerance); a call leaves the application's backend active.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ExpectedTensor, GoldenCall } from '@gluon-loss/golden';
import type { FloatTensor } from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';

const CASE_NAMES = [
  'CTCLoss/mxnet-test-both-lengths',
  'SoftmaxCrossEntropyLoss/mxnet-test-weighted',
  'SDMLLoss/default',
  'CosineEmbeddingLoss/3d',
  'KLDivLoss/from-logits-false-axis-0',
];

const suite = readGoldenDir();
const calls = CASE_NAMES.map((name) => {
  const found = suite.cases.find((c) => c.name === name);
  if (found?.kind !== 'call') throw new Error(`golden case ${name} is missing`);
  return found;
});

/** The runner's default: |got - want| <= 1e-5 + 1e-4 |want|; NaN meets NaN; undefined elements are 0. */
function expectClose(got: FloatTensor, want: ExpectedTensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  got.data.forEach((g, i) => {
    const w = want.undefinedMask?.[i] ? 0 : want.data[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      expect(g, `${what}[${i}]`).toBe(w);
    } else {
      expect(Math.abs(g - w), `${what}[${i}]: got ${g}, want ${w}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(w));
    }
  });
}

async function run(backendName: 'cpu' | 'wasm', golden: GoldenCall) {
  const compiled = await createTfjsBackend(backendName).compile(golden.loss, golden.config);
  try {
    return await compiled.forwardBackward(golden.inputs, golden.headGrad);
  } finally {
    compiled.dispose();
  }
}

describe('tfjs-cpu and tfjs-wasm in one process', () => {
  it('give MXNet results when their calls interleave', async () => {
    const jobs = calls.flatMap((golden) => (['cpu', 'wasm'] as const).map((variant) => ({ golden, variant })));
    const results = await Promise.all(jobs.map(({ golden, variant }) => run(variant, golden)));
    jobs.forEach(({ golden, variant }, i) => {
      const result = results[i]!;
      const where = `tfjs-${variant} ${golden.name}`;
      expectClose(result.loss, golden.expectedLoss, `${where} loss`);
      expect(Object.keys(result.grads).sort()).toEqual(Object.keys(golden.expectedGrads).sort());
      for (const [name, want] of Object.entries(golden.expectedGrads))
        expectClose(result.grads[name]!, want, `${where} grad ${name}`);
    });
  });

  it("leave the application's active backend active (host neutrality)", async () => {
    const golden = calls[0]!;
    await tf.setBackend('cpu');
    await run('wasm', golden);
    expect(tf.getBackend()).toBe('cpu');
    await tf.setBackend('wasm');
    await run('cpu', golden);
    expect(tf.getBackend()).toBe('wasm');
  });
});
