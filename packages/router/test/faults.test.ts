/**
 * Fault injection: a backend that throws on its n-th call, one that is unavailable, one
 * whose device is lost, and every backend failing. The caller gets a correct result (the
 * pure-TS backend's, which the scripted backends wrap) or one typed error naming every
 * backend's reason; explain() records what happened and agrees with what ran.
 */
import { describe, expect, it } from 'vitest';
import { BackendFailureError, DisposedError, InputError, ShapeError } from '@gluon-loss/spec';
import { AllBackendsFailedError, NoBackendError, createRouter } from '../src/index.js';
import {
  FakeClock,
  directL2,
  l2Call,
  scriptedBackend,
  scriptedRouter,
  type Script,
} from './fixtures/scripted-backends.js';

function setup(scripts: readonly Script[]) {
  return scriptedRouter(scripts);
}

const boom = (message: string) => new BackendFailureError('x', 'L2Loss', message);

describe('a backend that throws on its n-th call', () => {
  it('re-runs the call on the next backend, returns its result, and records the fault', async () => {
    // a wins the timing (calls 1-4), runs call 5, throws on call 6.
    const { router, recorder, backends } = setup([
      { name: 'a', cost: 1, failOn: (n) => (n === 6 ? boom('kernel crashed') : undefined) },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const { inputs, headGrad } = l2Call();
    await loss.forwardBackward(inputs, headGrad); // call 1: timed, a wins
    const second = await loss.forwardBackward(inputs, headGrad); // call 2: a
    expect(recorder.producerOf(second)).toBe('a');
    const bCalls = backends.b!.calls;
    const third = await loss.forwardBackward(inputs, headGrad); // call 3: a throws, b completes it
    expect(recorder.producerOf(third)).toBe('b');
    expect(backends.b!.calls).toBe(bCalls + 1);
    const want = (await directL2(inputs, headGrad)) as typeof third;
    expect(third.loss.data).toEqual(want.loss.data);
    expect(third.grads.pred!.data).toEqual(want.grads.pred!.data);
    expect(third.grads.label!.data).toEqual(want.grads.label!.data);

    const e = loss.explain();
    expect(e.backend).toBe('b');
    expect(e.lastCall).toMatchObject({ call: 3, backend: 'b', fellBackFrom: ['a'] });
    expect(e.faults).toEqual([
      expect.objectContaining({
        call: 3,
        backend: 'a',
        stage: 'call',
        lost: false,
        recoveredBy: 'b',
        error: expect.stringContaining('kernel crashed'),
      }),
    ]);
    expect(e.routes[0]).toMatchObject({ backend: 'b', rule: 'fallback', fallbacks: ['a'] });
    // The faulted backend's compiled loss was freed.
    expect(backends.a!.disposedLosses).toBe(1);

    const fourth = await loss.forwardBackward(inputs, headGrad); // the bucket now runs on b
    expect(recorder.producerOf(fourth)).toBe('b');
    expect(loss.explainText()).toContain('completed by b');
  });

  it('a fault while timing drops that candidate and the call still succeeds', async () => {
    const { router, recorder } = setup([
      { name: 'a', cost: 1, failOn: (n) => (n === 2 ? boom('flaky') : undefined) },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const r = await loss.forward(l2Call().inputs);
    expect(recorder.producerOf(r)).toBe('b');
    const e = loss.explain();
    expect(e.routes[0]!.timings.find((t) => t.backend === 'a')).toMatchObject({ status: 'failed', medianMs: null });
    expect(e.faults).toEqual([expect.objectContaining({ call: 1, backend: 'a', recoveredBy: 'b' })]);
  });

  it('a lost device marks the backend unavailable: it is not tried again, not even for a new bucket', async () => {
    const { router, backends } = setup([
      {
        name: 'gpu',
        cost: 1,
        failOn: (n) => (n === 5 ? new Error('GPU device was lost: the driver reset') : undefined),
      },
      { name: 'cpu', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const { inputs } = l2Call();
    await loss.forward(inputs); // timed: gpu wins (calls 1-4)
    await loss.forward(inputs); // call 5 of gpu: lost; cpu completes it
    expect(loss.explain().faults[0]).toMatchObject({ backend: 'gpu', lost: true, recoveredBy: 'cpu' });
    expect(router.availability().find((a) => a.backend === 'gpu')).toMatchObject({ state: 'unavailable' });
    const gpuCalls = backends.gpu!.calls;
    await loss.forward(l2Call(64, 8).inputs); // a new bucket: gpu is not a candidate any more
    expect(backends.gpu!.calls).toBe(gpuCalls);
    expect(loss.explain().routes.find((r) => r.bucket === 'elements<=512')).toMatchObject({
      backend: 'cpu',
      rule: 'single',
    });
  });
});

describe('an unavailable backend', () => {
  it('is recorded with its reason, skipped, and probed only once in the router', async () => {
    const { router, backends } = setup([
      { name: 'webgpu', unavailable: 'navigator.gpu is missing' },
      { name: 'ts', cost: 1 },
    ]);
    for (let i = 0; i < 3; i++) {
      const loss = await router.createLoss('L2Loss', { weight: i + 1 });
      await loss.forward(l2Call().inputs);
      expect(loss.explain().backend).toBe('ts');
    }
    expect(backends.webgpu!.probes).toBe(1);
    expect(router.availability().find((a) => a.backend === 'webgpu')).toMatchObject({
      state: 'unavailable',
      reason: 'navigator.gpu is missing',
    });
  });

  it('one whose package fails to load is unavailable and never loaded again', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const router = createRouter({
      environment: 'node',
      builtins: ['ts', 'tfjs-cpu'],
      clock: clock.read,
      cost: { loadHeavyAboveElements: 0 }, // tfjs-cpu is tried on these small calls too
      loadBackend: async (name) => {
        if (name === 'tfjs-cpu') {
          attempts++;
          throw new Error('Cannot find package @tensorflow/tfjs');
        }
        return scriptedBackend({ name, cost: 1 }, clock);
      },
    });
    for (let i = 0; i < 2; i++) {
      const loss = await router.createLoss('L2Loss', { weight: i + 1 });
      await loss.forward(l2Call().inputs);
      expect(loss.explain().backend).toBe('ts');
    }
    expect(attempts).toBe(1);
    expect(router.availability().find((a) => a.backend === 'tfjs-cpu')!.reason).toContain('Cannot find package');
  });

  it('a compile failure moves on to the next backend', async () => {
    const { router, recorder } = setup([
      { name: 'a', compileError: new Error('session creation failed') },
      { name: 'b', cost: 1 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const r = await loss.forward(l2Call().inputs);
    expect(recorder.producerOf(r)).toBe('b');
    expect(loss.explain().faults).toEqual([
      expect.objectContaining({ backend: 'a', stage: 'compile', recoveredBy: 'b' }),
    ]);
  });
});

describe('every backend failing', () => {
  it('throws AllBackendsFailedError naming each backend and its reason', async () => {
    const { router } = setup([
      { name: 'a', cost: 1, failOn: () => boom('out of memory') },
      { name: 'b', cost: 1, failOn: () => new TypeError('undefined is not a function') },
      { name: 'c', unavailable: 'no WebGL context' },
    ]);
    const loss = await router.createLoss('L2Loss');
    const error = await loss.forward(l2Call().inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllBackendsFailedError);
    const failure = error as AllBackendsFailedError;
    expect(failure.kind).toBe('backend-failure');
    expect(failure.attempts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ backend: 'a', stage: 'call', reason: expect.stringContaining('out of memory') }),
        expect.objectContaining({
          backend: 'b',
          stage: 'call',
          reason: expect.stringContaining('undefined is not a function'),
        }),
        expect.objectContaining({ backend: 'c', stage: 'unavailable', reason: 'no WebGL context' }),
      ]),
    );
    for (const word of ['out of memory', 'undefined is not a function', 'no WebGL context'])
      expect(failure.message).toContain(word);
    expect(loss.explain().faults.map((f) => [f.backend, f.recoveredBy])).toEqual([
      ['a', null],
      ['b', null],
    ]);
  });

  it('after a decision, a call on which every backend fails throws the same error', async () => {
    const { router } = setup([
      { name: 'a', cost: 1, failOn: (n) => (n > 4 ? boom('a broke') : undefined) },
      { name: 'b', cost: 2, failOn: (n) => (n > 4 ? boom('b broke') : undefined) },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    await expect(loss.forward(l2Call().inputs)).rejects.toMatchObject({
      name: 'AllBackendsFailedError',
      attempts: [expect.objectContaining({ backend: 'a' }), expect.objectContaining({ backend: 'b' })],
    });
  });

  it('no backend available at all is a NoBackendError at createLoss', async () => {
    const { router } = setup([
      { name: 'a', unavailable: 'no wasm' },
      { name: 'b', unavailable: 'no adapter' },
    ]);
    const error = await router.createLoss('L2Loss').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoBackendError);
    expect((error as NoBackendError).attempts.map((a) => `${a.backend}: ${a.reason}`)).toEqual([
      'a: no wasm',
      'b: no adapter',
    ]);
  });
});

describe('caller errors are not faults', () => {
  it("a bad input throws the spec's error before any backend runs", async () => {
    const { router, backends } = setup([{ name: 'a', cost: 1 }]);
    const loss = await router.createLoss('L2Loss');
    const pred = { data: new Float32Array(6), shape: [2, 3] };
    await expect(loss.forward({ pred, label: { data: new Float32Array(5), shape: [5] } })).rejects.toBeInstanceOf(
      ShapeError,
    );
    await expect(
      loss.forward({ pred, label: { data: new Float64Array(6) as never, shape: [2, 3] } }),
    ).rejects.toMatchObject({ kind: 'dtype' });
    await expect(loss.forward({ pred })).rejects.toBeInstanceOf(InputError);
    await expect(
      loss.forwardBackward({ pred, label: pred }, { data: new Float32Array(3), shape: [3] }),
    ).rejects.toBeInstanceOf(ShapeError);
    expect(backends.a!.calls).toBe(0);
    expect(loss.explain().faults).toEqual([]);
  });

  it('an input error thrown by a backend reaches the caller unchanged, without a fallback', async () => {
    const own = new InputError({ loss: 'L2Loss', argument: 'label', expected: 'something the backend checks' });
    const { router, backends } = setup([
      { name: 'a', cost: 1, failOn: (n) => (n === 5 ? own : undefined) },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    const bCalls = backends.b!.calls;
    await expect(loss.forward(l2Call().inputs)).rejects.toBe(own);
    expect(backends.b!.calls).toBe(bCalls);
    expect(loss.explain().faults).toEqual([]);
  });
});

describe('dispose', () => {
  it('frees the compiled loss on every backend it used, and later calls throw DisposedError', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    loss.dispose();
    loss.dispose(); // idempotent
    await Promise.resolve(); // disposal of a compiled loss runs once its promise settles
    await Promise.resolve();
    expect(backends.a!.disposedLosses).toBe(1);
    expect(backends.b!.disposedLosses).toBe(1);
    await expect(loss.forward(l2Call().inputs)).rejects.toBeInstanceOf(DisposedError);
  });
});
