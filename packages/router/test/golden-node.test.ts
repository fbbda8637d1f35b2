/**
 * Every MXNet golden case through `createLoss` in Node, on the real built-in backends
 * (every one available here, loaded lazily, timed on each case's bucket): the values
 * match MXNet within the runner's tolerances, each chosen backend is eligible for its
 * loss, and explain() names the backend that produced the result (each backend is
 * wrapped to record the result objects it returns). Which backend wins is not asserted.
 * Rejection cases must be rejected with the spec's error class.
 */
import { loadBuiltinBackend } from '@gluon-loss/backends';
import { compareTensor, toleranceFor } from '@gluon-loss/conformance';
import type { GoldenCall, GoldenError } from '@gluon-loss/golden';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { ConfigError, InputError } from '@gluon-loss/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPED_ELIGIBILITY, createRouter, type RoutedLoss } from '../src/index.js';
import { Recorder, recordingBackend } from './fixtures/scripted-backends.js';

const suite = readGoldenDir();
const calls = suite.cases.filter((c): c is GoldenCall => c.kind === 'call');
const rejections = suite.cases.filter((c): c is GoldenError => c.kind === 'error');
const recorder = new Recorder();
// One timed run per candidate keeps the suite short; the rule itself is tested on a fake clock.
const router = createRouter({
  loadBackend: async (name, options) => recordingBackend(await loadBuiltinBackend(name, options), recorder),
  calibration: { runs: 1, minTimedMs: 0, maxRuns: 1 },
});
const losses = new Map<string, Promise<RoutedLoss>>();

/** One routed loss per (loss, config), as an application would keep it. */
function routedLossFor(c: GoldenCall): Promise<RoutedLoss> {
  const key = `${c.loss}\u0000${JSON.stringify(c.config)}`;
  let routed = losses.get(key);
  if (routed === undefined) {
    routed = router.createLoss(c.loss, c.config);
    losses.set(key, routed);
  }
  return routed;
}

afterAll(async () => {
  for (const routed of losses.values()) (await routed).dispose();
  await router.dispose();
});

describe('golden calls through createLoss', () => {
  it.each(calls.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const routed = await routedLossFor(c);

    const fwd = await routed.forward(c.inputs);
    const ranForward = recorder.producerOf(fwd);
    expect(ranForward, 'the result came from a backend').toBeDefined();
    expect(routed.explain().backend).toBe(ranForward);
    expect(SHIPPED_ELIGIBILITY.environments.node![ranForward!], `${ranForward} eligible for ${routed.loss}`).toContain(
      routed.loss,
    );
    const fwdCmp = compareTensor(fwd.loss, c.expectedLoss, toleranceFor(c.name, ranForward!), c.ref64?.loss);
    expect(fwdCmp.ok, `forward on ${ranForward}: ${fwdCmp.mismatch}`).toBe(true);

    const fb = await routed.forwardBackward(c.inputs, c.headGrad);
    const ranBackward = recorder.producerOf(fb)!;
    const e = routed.explain();
    expect(e.backend).toBe(ranBackward);
    expect(e.lastCall).toMatchObject({ mode: 'forwardBackward', backend: ranBackward });
    expect(e.routes.find((r) => r.mode === 'forwardBackward' && r.bucket === e.lastCall!.bucket)?.backend).toBe(
      ranBackward,
    );
    expect(SHIPPED_ELIGIBILITY.environments.node![ranBackward]).toContain(routed.loss);
    const tol = toleranceFor(c.name, ranBackward);
    const lossCmp = compareTensor(fb.loss, c.expectedLoss, tol, c.ref64?.loss);
    expect(lossCmp.ok, `forwardBackward loss on ${ranBackward}: ${lossCmp.mismatch}`).toBe(true);
    expect(Object.keys(fb.grads).sort()).toEqual(Object.keys(c.expectedGrads).sort());
    for (const [name, want] of Object.entries(c.expectedGrads)) {
      const cmp = compareTensor(fb.grads[name], want, tol, c.ref64?.grads[name]);
      expect(cmp.ok, `grad ${name} on ${ranBackward}: ${cmp.mismatch}`).toBe(true);
    }
  });
});

describe('golden rejections through createLoss', () => {
  it.each(rejections.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.errorKind === 'config') {
      await expect(router.createLoss(c.loss, c.config)).rejects.toBeInstanceOf(ConfigError);
      return;
    }
    const routed = await router.createLoss(c.loss, c.config);
    try {
      await expect(routed.forward(c.inputs)).rejects.toBeInstanceOf(InputError);
      await expect(routed.forwardBackward(c.inputs, { data: new Float32Array(1), shape: [1] })).rejects.toBeInstanceOf(
        InputError,
      );
      expect(routed.explain().faults).toEqual([]);
    } finally {
      routed.dispose();
    }
  });
});
