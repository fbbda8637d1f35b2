/**
 * Fault injection beyond thrown errors: a probe, a compile or a call that never settles
 * (driven by vitest's fake timers, not real waits), malformed results, a transient fault
 * in one mode, a backend whose wasm instance aborted, and inputs the caller changes
 * while a call is in flight. Each time the call completes on the next candidate (or the
 * one typed error), and explain() records why.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GluonLossError, ConfigError } from '@gluon-loss/spec';
import { AllBackendsFailedError, DecisionsFormatError, createRouter, type RouterOptions } from '../src/index.js';
import {
  FakeClock,
  Recorder,
  directL2,
  l2Call,
  scriptedBackend,
  scriptedRouter,
  settleOnFakeTimers,
  type Script,
} from './fixtures/scripted-backends.js';

const DEADLINES = { loadMs: 1_000, compileMs: 2_000, callMs: 5_000 };

function setup(scripts: readonly Script[], options: Partial<RouterOptions> = {}) {
  return scriptedRouter(scripts, { deadlines: DEADLINES, ...options });
}

const settle = settleOnFakeTimers;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(async () => {
  // The router's one deadline timer, armed on the fake clock, fires before the clock goes:
  // with nothing left in flight it stays unarmed for the next test.
  await vi.runOnlyPendingTimersAsync();
  vi.useRealTimers();
});

describe('deadlines', () => {
  it('a probe that never settles: createLoss goes on to the next backend; the late answer is dropped', async () => {
    const { router, recorder, backends } = setup([
      { name: 'stuck', hangProbe: true },
      { name: 'ts', cost: 1 },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const stuck = router.availability().find((a) => a.backend === 'stuck')!;
    expect(stuck).toMatchObject({ state: 'unavailable', reason: expect.stringContaining('1000 ms deadline') });
    const r = await settle(() => loss.forward(l2Call().inputs));
    expect(recorder.producerOf(r)).toBe('ts');
    backends.stuck!.releaseHung(); // its probe answers late: dropped, it stays unavailable
    await vi.advanceTimersByTimeAsync(0);
    expect(router.availability().find((a) => a.backend === 'stuck')).toMatchObject({ state: 'unavailable' });
  });

  it('a probe that hangs during a call is a load fault in explain(); the call completes on the other', async () => {
    const { router, recorder } = setup([
      { name: 'ts', cost: 1 },
      { name: 'stuck', hangProbe: true },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const r = await settle(() => loss.forward(l2Call().inputs));
    expect(recorder.producerOf(r)).toBe('ts');
    expect(loss.explain().faults).toEqual([
      expect.objectContaining({
        backend: 'stuck',
        stage: 'load',
        recoveredBy: 'ts',
        error: expect.stringContaining('deadline'),
      }),
    ]);
  });

  it('a compile that never settles is abandoned, and disposed when it arrives late', async () => {
    const { router, recorder, backends } = setup([
      { name: 'stuck', hangCompile: true },
      { name: 'ts', cost: 1 },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const r = await settle(() => loss.forward(l2Call().inputs));
    expect(recorder.producerOf(r)).toBe('ts');
    expect(loss.explain().faults).toEqual([
      expect.objectContaining({
        backend: 'stuck',
        stage: 'compile',
        recoveredBy: 'ts',
        error: expect.stringContaining('2000 ms deadline'),
      }),
    ]);
    backends.stuck!.releaseHung();
    await vi.advanceTimersByTimeAsync(0);
    expect(backends.stuck!.disposedLosses).toBe(1); // the late compiled loss, released
  });

  it('a call that never settles: abandoned at the deadline, completed by the next backend, late result dropped', async () => {
    // a wins the timing (calls 1-4); its 5th call hangs.
    const { router, recorder, backends } = setup([
      { name: 'a', cost: 1, hangOn: (n) => n === 5 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const { inputs } = l2Call();
    await settle(() => loss.forward(inputs));
    const second = await settle(() => loss.forward(inputs));
    expect(recorder.producerOf(second)).toBe('b');
    expect(second.loss.data).toEqual((await directL2(inputs)).loss.data);
    const e = loss.explain();
    expect(e.faults).toEqual([
      expect.objectContaining({
        call: 2,
        backend: 'a',
        stage: 'call',
        recoveredBy: 'b',
        error: expect.stringContaining('5000 ms deadline'),
      }),
    ]);
    expect(e.lastCall).toMatchObject({ backend: 'b', fellBackFrom: ['a'] });
    backends.a!.releaseHung(); // the late result comes back: nobody takes it
    await vi.advanceTimersByTimeAsync(0);
    // The next call of the bucket runs on b at once (no deadline to wait for).
    const third = loss.forward(inputs);
    await vi.advanceTimersByTimeAsync(0);
    expect(recorder.producerOf(await third)).toBe('b');
  });

  it('a call that hangs while timing drops that candidate', async () => {
    const { router, recorder } = setup([
      { name: 'a', cost: 1, hangOn: (n) => n === 2 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const r = await settle(() => loss.forward(l2Call().inputs));
    expect(recorder.producerOf(r)).toBe('b');
    expect(loss.explain().routes[0]!.timings.find((t) => t.backend === 'a')).toMatchObject({ status: 'failed' });
  });

  it('deadlines are checked: a non-positive one is a ConfigError', () => {
    expect(() => createRouter({ builtins: false, deadlines: { callMs: 0 } })).toThrow(ConfigError);
    expect(() => createRouter({ builtins: false, deadlines: { loadMs: Number.NaN } })).toThrow(ConfigError);
  });
});

describe('result checks', () => {
  const cases: [
    string,
    (r: { loss: { data: Float32Array; shape: readonly number[] } } & Record<string, unknown>) => unknown,
    string,
  ][] = [
    ['undefined', () => undefined, 'the result is undefined'],
    [
      'a loss of the wrong shape',
      (r) => ({ ...r, loss: { data: r.loss.data, shape: [r.loss.data.length, 1] } }),
      'shape',
    ],
    [
      'a loss of the wrong length',
      (r) => ({ ...r, loss: { data: r.loss.data.subarray(1), shape: r.loss.shape } }),
      'elements',
    ],
    [
      'an Int32Array loss',
      (r) => ({ ...r, loss: { data: new Int32Array(r.loss.data.length), shape: r.loss.shape } }),
      'Int32Array',
    ],
    [
      'a missing gradient',
      (r) => ({ loss: r.loss, grads: { pred: (r.grads as Record<string, unknown>).pred } }),
      'gradient of label is missing',
    ],
    [
      'a gradient of the wrong shape',
      (r) => {
        const pred = (r.grads as Record<string, { data: Float32Array }>).pred!;
        return { ...r, grads: { ...(r.grads as object), pred: { data: pred.data, shape: [pred.data.length] } } };
      },
      'gradient of pred has shape',
    ],
  ];
  for (const [what, malform, message] of cases) {
    it(`${what} is a fault: the call falls back`, async () => {
      const { router, recorder } = setup([
        { name: 'a', cost: 1, malform: (n, r) => (n === 5 ? { value: malform(r as never) } : undefined) },
        { name: 'b', cost: 2 },
      ]);
      const loss = await router.createLoss('L2Loss');
      const { inputs, headGrad } = l2Call();
      await loss.forwardBackward(inputs, headGrad);
      const r = await loss.forwardBackward(inputs, headGrad);
      expect(recorder.producerOf(r)).toBe('b');
      const want = (await directL2(inputs, headGrad)) as typeof r;
      expect(r.grads.pred!.data).toEqual(want.grads.pred!.data);
      expect(loss.explain().faults).toEqual([
        expect.objectContaining({
          backend: 'a',
          stage: 'call',
          recoveredBy: 'b',
          error: expect.stringContaining(message),
        }),
      ]);
    });
  }
});

describe('fault isolation', () => {
  it('a transient fault in forward leaves the forwardBackward route of the same backend working (only:)', async () => {
    const { router, backends } = setup(
      [{ name: 'a', cost: 1, failOn: (n) => (n === 2 ? new Error('transient') : undefined) }],
      { policy: 'only:a' },
    );
    const loss = await router.createLoss('L2Loss');
    const { inputs, headGrad } = l2Call();
    await loss.forwardBackward(inputs, headGrad); // a, call 1
    await expect(loss.forward(inputs)).rejects.toBeInstanceOf(AllBackendsFailedError); // a, call 2: the fault
    const again = await loss.forwardBackward(inputs, headGrad); // a, call 3: still compiled, still routed
    expect(again.loss.data).toEqual((await directL2(inputs, headGrad)).loss.data);
    expect(backends.a!.disposedLosses).toBe(0);
    await loss.forward(inputs); // and the forward route recovers too
    expect(loss.explain().backend).toBe('a');
  });

  it('a backend whose wasm instance aborted is lost: unavailable, never tried again, in every router', async () => {
    const clock = new FakeClock();
    const recorder = new Recorder();
    const made: Record<string, ReturnType<typeof scriptedBackend>> = {};
    const options: RouterOptions = {
      environment: 'node',
      builtins: ['ts', 'tfjs-wasm'],
      clock: clock.read,
      calibration: { runs: 3, minTimedMs: 0, maxRuns: 3, pruneFactor: 4 },
      cost: { loadHeavyAboveElements: 0 }, // tfjs-wasm is timed on these small calls too
      loadBackend: async (name) =>
        (made[name] ??= scriptedBackend(
          name === 'tfjs-wasm'
            ? { name, cost: 1, failOn: (n) => (n === 5 ? new Error('RuntimeError: Aborted(OOM)') : undefined) }
            : { name, cost: 2 },
          clock,
          recorder,
        )),
    };
    const router = createRouter(options);
    const loss = await router.createLoss('L2Loss');
    const { inputs } = l2Call();
    await loss.forward(inputs); // timed: tfjs-wasm wins
    const r = await loss.forward(inputs); // it aborts; ts completes the call
    expect(recorder.producerOf(r)).toBe('ts');
    expect(loss.explain().faults[0]).toMatchObject({ backend: 'tfjs-wasm', lost: true, recoveredBy: 'ts' });
    expect(router.availability().find((a) => a.backend === 'tfjs-wasm')).toMatchObject({
      state: 'unavailable',
      reason: expect.stringContaining('Aborted(OOM)'),
    });
    const calls = made['tfjs-wasm']!.calls;
    await loss.forward(l2Call(64, 8).inputs); // a new bucket: not tried
    const other = createRouter(options); // another router in this process: not tried either
    expect(other.availability().find((a) => a.backend === 'tfjs-wasm')).toMatchObject({ state: 'unavailable' });
    const fresh = await other.createLoss('L2Loss', { weight: 2 });
    await fresh.forward(inputs);
    expect(made['tfjs-wasm']!.calls).toBe(calls);
    expect(fresh.explain().backend).toBe('ts');
  });
});

describe('inputs are read once, at call time', () => {
  it('changing the caller arrays after a call starts does not change its result', async () => {
    const { router } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const { inputs, headGrad } = l2Call();
    const want = (await directL2(inputs, headGrad)) as Awaited<ReturnType<typeof loss.forwardBackward>>;
    const pred = (inputs.pred as { data: Float32Array }).data;
    const running = loss.forwardBackward(inputs, headGrad); // the first call: it awaits loads and compiles
    pred.fill(100);
    headGrad.data.fill(7);
    const got = await running;
    expect(got.loss.data).toEqual(want.loss.data);
    expect(got.grads.pred!.data).toEqual(want.grads.pred!.data);
  });
});

describe('rough edges', () => {
  it('a builtins entry that names no backend is a ConfigError', () => {
    expect(() => createRouter({ builtins: ['ts', 'tfjs-cpuu'] })).toThrow(ConfigError);
    expect(() => createRouter({ builtins: ['ts', 'tfjs-cpuu'] })).toThrow(/tfjs-cpuu/);
    // A name built for the other environment is not a typo (a config shared by Node and a page).
    expect(() => createRouter({ environment: 'node', builtins: ['ts', 'tfjs-webgl'] })).not.toThrow();
  });

  it("eligibility 'all' for an injected backend is a ConfigError, not a TypeError", () => {
    const backend = scriptedBackend({ name: 'mine', cost: 1 }, new FakeClock());
    const make = () => createRouter({ builtins: false, backends: [{ backend, eligibility: 'all' as never }] });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/eligibility/);
  });

  it('DecisionsFormatError is a GluonLossError', () => {
    const router = createRouter({ builtins: false });
    const error = (() => {
      try {
        router.importDecisions('{');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DecisionsFormatError);
    expect(error).toBeInstanceOf(GluonLossError);
  });
});
