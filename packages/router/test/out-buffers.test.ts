/**
 * The `out` option through the router: the result lands in the caller's buffers; only a
 * backend that fills them before its call returns is handed them, and only on a decided
 * route; a backend abandoned at a deadline never holds them, so its late answer cannot
 * overwrite the result the caller got.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DtypeError, InputError, ShapeError, type ForwardBackwardResult } from '@gluon-loss/spec';
import { directL2, l2Call, scriptedRouter, settleOnFakeTimers, type Script } from './fixtures/scripted-backends.js';

function setup(scripts: readonly Script[]) {
  return scriptedRouter(scripts, { deadlines: { loadMs: 1_000, compileMs: 2_000, callMs: 5_000 } });
}

const settle = settleOnFakeTimers;

function buffersFor(rows = 4, cols = 8) {
  return {
    loss: new Float32Array(rows).fill(-7),
    grads: { pred: new Float32Array(rows * cols).fill(-7), label: new Float32Array(rows * cols).fill(-7) },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(async () => {
  await vi.runOnlyPendingTimersAsync();
  vi.useRealTimers();
});

describe('out buffers through the router', () => {
  it('a decided route on a backend that fills them before returning writes into them directly', async () => {
    const { router, backends } = setup([{ name: 'sync', cost: 1, writesOut: true }]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const { inputs, headGrad } = l2Call();
    const expected = (await directL2(inputs, headGrad)) as ForwardBackwardResult;
    const out = buffersFor();
    // The first call decides the route: its result is copied in, the backend is not handed the buffers.
    const first = await settle(() => loss.forwardBackward(inputs, headGrad, { out }));
    expect(backends.sync!.outGiven).toBe(0);
    expect(first.loss.data).toBe(out.loss);
    expect(out.loss).toEqual(expected.loss.data);
    out.loss.fill(-7);
    out.grads.pred.fill(-7);
    const second = await settle(() => loss.forwardBackward(inputs, headGrad, { out }));
    expect(backends.sync!.outGiven).toBe(1);
    expect(second.loss.data).toBe(out.loss);
    expect(second.grads.pred!.data).toBe(out.grads.pred);
    expect(second.grads.label!.data).toBe(out.grads.label);
    expect(out.loss).toEqual(expected.loss.data);
    expect(out.grads.pred).toEqual(expected.grads.pred!.data);
    expect(out.grads.label).toEqual(expected.grads.label!.data);
  });

  it('a buffer may be given for one result only; the others come back in fresh arrays', async () => {
    const { router } = setup([{ name: 'sync', cost: 1, writesOut: true }]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const { inputs, headGrad } = l2Call();
    const expected = (await directL2(inputs, headGrad)) as ForwardBackwardResult;
    const pred = new Float32Array(32);
    for (let i = 0; i < 2; i++) {
      const r = await settle(() => loss.forwardBackward(inputs, headGrad, { out: { grads: { pred } } }));
      expect(r.grads.pred!.data).toBe(pred);
      expect(pred).toEqual(expected.grads.pred!.data);
      expect(r.loss.data).toEqual(expected.loss.data);
      expect(r.grads.label!.data).not.toBe(pred);
    }
  });

  it('a backend abandoned at the deadline never held them: its late answer leaves them as returned', async () => {
    // a wins the timing (calls 1-4); its 5th call hangs and b completes it.
    const { router, backends } = setup([
      { name: 'a', cost: 1, hangOn: (n) => n === 5 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const { inputs } = l2Call();
    await settle(() => loss.forward(inputs));
    const out = { loss: new Float32Array(4).fill(-7) };
    const second = await settle(() => loss.forward(inputs, { out }));
    expect(loss.explain().lastCall).toMatchObject({ backend: 'b', fellBackFrom: ['a'] });
    expect(second.loss.data).toBe(out.loss);
    const returned = out.loss.slice();
    expect(returned).toEqual((await directL2(inputs)).loss.data);
    expect(backends.a!.outGiven).toBe(0);
    expect(backends.b!.outGiven).toBe(0); // b computes off the calling thread too (no writesOut)
    out.loss.fill(3); // the caller reuses its buffer; the late answer must not land in it
    backends.a!.releaseHung();
    await vi.advanceTimersByTimeAsync(0);
    expect(out.loss).toEqual(new Float32Array(4).fill(3));
  });

  it('bad buffers are typed errors that name the argument, before any backend runs', async () => {
    const { router, backends } = setup([{ name: 'sync', cost: 1, writesOut: true }]);
    const loss = await settle(() => router.createLoss('L2Loss'));
    const { inputs, headGrad } = l2Call();
    const calls = backends.sync!.calls;
    await expect(loss.forward(inputs, { out: { loss: new Float32Array(3) } })).rejects.toMatchObject({
      constructor: ShapeError,
      loss: 'L2Loss',
      argument: 'out.loss',
    });
    await expect(
      loss.forward(inputs, { out: { loss: new Float64Array(4) as unknown as Float32Array } }),
    ).rejects.toBeInstanceOf(DtypeError);
    await expect(loss.forward(inputs, { out: { grads: { pred: new Float32Array(32) } } })).rejects.toMatchObject({
      constructor: InputError,
      argument: 'out.grads',
    });
    const pred = (inputs.pred as { data: Float32Array }).data;
    await expect(loss.forwardBackward(inputs, headGrad, { out: { grads: { pred } } })).rejects.toMatchObject({
      constructor: InputError,
      argument: 'out.grads.pred',
    });
    expect(backends.sync!.calls).toBe(calls);
  });
});
