/**
 * The decision rule, on a fake clock: scripted backends say how long each call takes, so
 * the tests know which one must win without timing anything real.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, UnknownLossError, type Backend } from '@gluon-loss/spec';
import { NoBackendError, createRouter, type EligibilityTable, type RouterOptions } from '../src/index.js';
import {
  EXACT_CALIBRATION,
  FakeClock,
  directL2,
  l2Call,
  scriptedBackend,
  scriptedRouter,
  type Script,
} from './fixtures/scripted-backends.js';

const EXACT = EXACT_CALIBRATION;

function setup(scripts: readonly Script[], options: Partial<RouterOptions> = {}) {
  return scriptedRouter(scripts, options);
}

describe('fastest', () => {
  it('picks the lowest median of the timed runs and keeps the first call apart', async () => {
    // a: a slow first call (a compile, a warm-up), then fast; b: steady but twice as slow.
    const { router, recorder, backends } = setup([
      { name: 'a', cost: (n) => (n === 1 ? 100 : 1) },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const { inputs } = l2Call();
    const result = await loss.forward(inputs);
    const e = loss.explain();
    expect(e.backend).toBe('a');
    expect(recorder.producerOf(result)).toBe('a');
    const route = e.routes[0]!;
    expect(route.rule).toBe('fastest');
    const a = route.timings.find((t) => t.backend === 'a')!;
    const b = route.timings.find((t) => t.backend === 'b')!;
    expect(a).toMatchObject({ status: 'timed', firstCallMs: 100, runsMs: [1, 1, 1], medianMs: 1 });
    expect(b).toMatchObject({ status: 'timed', firstCallMs: 2, runsMs: [2, 2, 2], medianMs: 2 });
    expect(route.fallbacks).toEqual(['b']);
    expect(backends.a!.calls).toBe(4);
    expect(backends.b!.calls).toBe(4);
    expect(result.loss.data).toEqual((await directL2(inputs)).loss.data);
  });

  it('uses the median, so one slow run does not decide', async () => {
    const slowSecondRun = (n: number) => (n === 3 ? 50 : 1); // runs: 1, 50, 1 -> median 1 (mean 17)
    const { router } = setup([
      { name: 'a', cost: slowSecondRun },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    expect(loss.explain().backend).toBe('a');
  });

  it('breaks ties by the order the backends were given in', async () => {
    for (const order of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const { router } = setup(order.map((name) => ({ name, cost: 3 })));
      const loss = await router.createLoss('L2Loss');
      await loss.forward(l2Call().inputs);
      expect(loss.explain().backend).toBe(order[0]);
    }
  });

  it('stops timing a candidate whose first run is more than pruneFactor times the best median', async () => {
    const { router, backends } = setup([
      { name: 'fast', cost: 1 },
      { name: 'slow', cost: 10 },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    const slow = loss.explain().routes[0]!.timings.find((t) => t.backend === 'slow')!;
    expect(slow.status).toBe('pruned');
    expect(slow.runsMs).toEqual([10]);
    expect(backends.slow!.calls).toBe(2); // the first call and one run
  });

  it('times small calls until their runs add up to minTimedMs, at most maxRuns', async () => {
    const { router } = setup(
      [
        { name: 'quarter', cost: 0.25 },
        { name: 'tiny', cost: 0.01 },
      ],
      { calibration: { runs: 3, minTimedMs: 2, maxRuns: 30, pruneFactor: 100 } },
    );
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    const timings = loss.explain().routes[0]!.timings;
    expect(timings.find((t) => t.backend === 'quarter')!.runsMs).toHaveLength(8); // 8 x 0.25 = 2
    expect(timings.find((t) => t.backend === 'tiny')!.runsMs).toHaveLength(30);
  });

  it('pays only a lookup after the decision: later calls run the chosen backend alone', async () => {
    const { router, recorder, backends, clock } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    const { inputs } = l2Call();
    await loss.forward(inputs);
    const before = { a: backends.a!.calls, b: backends.b!.calls, now: clock.now };
    for (let i = 0; i < 5; i++) {
      const r = await loss.forward(inputs);
      expect(recorder.producerOf(r)).toBe('a');
    }
    expect(backends.a!.calls).toBe(before.a + 5);
    expect(backends.b!.calls).toBe(before.b);
    expect(clock.now - before.now).toBe(5); // five calls of a, nothing else
    expect(loss.explain().routes[0]!.calls).toBe(6);
  });

  it('decides each shape bucket and each mode on its own', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 2 },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call(4, 8).inputs); // 32 elements
    const timedOnce = backends.b!.calls;
    await loss.forward(l2Call(4, 7).inputs); // 28 elements: the same bucket (<= 32)
    expect(backends.b!.calls).toBe(timedOnce);
    await loss.forward(l2Call(64, 8).inputs); // 512 elements: a new bucket, timed
    expect(backends.b!.calls).toBe(2 * timedOnce);
    const fb = l2Call(4, 8);
    await loss.forwardBackward(fb.inputs, fb.headGrad); // the same bucket, the other mode: timed
    expect(backends.b!.calls).toBe(3 * timedOnce);
    const routes = loss.explain().routes.map((r) => `${r.mode} ${r.bucket}`);
    expect(routes).toEqual(['forward elements<=32', 'forward elements<=512', 'forwardBackward elements<=32']);
  });

  it('shares decisions between the losses of one router, per config', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 2 },
    ]);
    const { inputs } = l2Call();
    await (await router.createLoss('L2Loss')).forward(inputs);
    const timed = backends.b!.calls;
    const same = await router.createLoss('L2Loss', { weight: 1 }); // the default, spelled out: the same config
    await same.forward(inputs);
    expect(backends.b!.calls).toBe(timed);
    expect(same.explain().backend).toBe('a');
    const other = await router.createLoss('L2Loss', { weight: 2 });
    await other.forward(inputs);
    expect(backends.b!.calls).toBe(2 * timed);
  });

  it('does not time when one eligible backend is available', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'gone', unavailable: 'no device here' },
    ]);
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call().inputs);
    const route = loss.explain().routes[0]!;
    expect(route).toMatchObject({ backend: 'a', rule: 'single', timings: [] });
    expect(route.reason).toContain('gone');
    expect(backends.a!.calls).toBe(1);
  });
});

describe('policies', () => {
  it('prefer:<backend> runs it without timing the others', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 5 },
    ]);
    const loss = await router.createLoss('L2Loss', {}, { policy: 'prefer:b' });
    await loss.forward(l2Call().inputs);
    expect(loss.explain().routes[0]).toMatchObject({ backend: 'b', rule: 'prefer', fallbacks: ['a'] });
    expect(backends.a!.calls).toBe(0);
    expect(backends.b!.calls).toBe(1);
  });

  it('prefer:<backend> that is unavailable falls back to timing the others', async () => {
    const { router } = setup([
      { name: 'a', cost: 2 },
      { name: 'b', cost: 1 },
      { name: 'c', unavailable: 'no adapter' },
    ]);
    const loss = await router.createLoss('L2Loss', {}, { policy: 'prefer:c' });
    await loss.forward(l2Call().inputs);
    const route = loss.explain().routes[0]!;
    expect(route).toMatchObject({ backend: 'b', rule: 'fastest' });
    expect(route.reason).toContain('prefer:c');
  });

  it('only:<backend> never loads another backend', async () => {
    const { router, backends } = setup([
      { name: 'a', cost: 1 },
      { name: 'b', cost: 5 },
    ]);
    const loss = await router.createLoss('L2Loss', {}, { policy: 'only:b' });
    await loss.forward(l2Call().inputs);
    expect(loss.explain().backend).toBe('b');
    expect(backends.a!.probes).toBe(0);
    expect(loss.explain().eligibility.excluded).toContainEqual({
      backend: 'a',
      stage: 'policy',
      reason: 'policy only:b',
    });
  });

  it('only:<backend> that is not eligible for the loss is refused at createLoss', async () => {
    const { router } = setup([{ name: 'a' }]);
    await expect(router.createLoss('L1Loss', {}, { policy: 'only:a' })).rejects.toBeInstanceOf(NoBackendError);
    await expect(router.createLoss('L2Loss', {}, { policy: 'only:nope' })).rejects.toBeInstanceOf(NoBackendError);
  });

  it('a malformed policy is a ConfigError', async () => {
    const { router } = setup([{ name: 'a' }]);
    for (const policy of ['slowest', 'only:', 'prefer:a b']) {
      await expect(router.createLoss('L2Loss', {}, { policy: policy as never })).rejects.toBeInstanceOf(ConfigError);
    }
  });
});

describe('eligibility and loading', () => {
  const table: EligibilityTable = {
    reference: { mxnet: '1.9.1' },
    goldenCases: { L2Loss: 1 },
    environments: { node: { ts: ['L2Loss'], 'tfjs-cpu': ['L2Loss'], 'tfjs-wasm': ['L1Loss'] } },
  };

  /** Scripted backends under the built-ins' names (tfjs-*, onnx-* heavy); those in `broken` are unavailable. */
  function lazyRouter(cost?: RouterOptions['cost'], broken: readonly string[] = []) {
    const clock = new FakeClock();
    const loaded: string[] = [];
    const router = createRouter({
      environment: 'node',
      eligibility: table,
      clock: clock.read,
      calibration: EXACT,
      ...(cost !== undefined ? { cost } : {}),
      loadBackend: async (name): Promise<Backend> => {
        loaded.push(name);
        if (broken.includes(name)) throw new Error(`${name} cannot load here`);
        return scriptedBackend({ name, cost: name === 'ts' ? 1 : 2 }, clock);
      },
    });
    return { router, loaded };
  }

  it('loads only what it uses: one candidate at createLoss, the eligible ones at the first big call', async () => {
    const { router, loaded } = lazyRouter({ loadHeavyAboveElements: 0 });
    const loss = await router.createLoss('L2Loss');
    expect(loaded).toEqual(['ts']);
    await loss.forward(l2Call().inputs);
    expect(loaded).toEqual(['ts', 'tfjs-cpu']); // tfjs-wasm, onnx-*: not eligible for L2Loss, never loaded
    expect(loss.explain().eligibility.candidates).toEqual(['ts', 'tfjs-cpu']);
    expect(loss.explain().availability.find((a) => a.backend === 'onnx-node')!.state).toBe('not loaded');
  });

  it('loads a heavy runtime only for a call above loadHeavyAboveElements; a small one runs on what is light', async () => {
    const { router, loaded } = lazyRouter({ loadHeavyAboveElements: 64 });
    const loss = await router.createLoss('L2Loss');
    await loss.forward(l2Call(8, 8).inputs); // 64 elements: not above the threshold
    expect(loaded).toEqual(['ts']);
    const small = loss.explain().routes[0]!;
    expect(small).toMatchObject({ backend: 'ts', rule: 'single' });
    expect(small.reason).toContain('not loaded for a call this small: tfjs-cpu');
    await loss.forward(l2Call(8, 9).inputs); // 72 elements: tfjs-cpu is loaded and timed
    expect(loaded).toEqual(['ts', 'tfjs-cpu']);
    expect(loss.explain().routes[1]!.timings.map((t) => t.backend)).toEqual(['ts', 'tfjs-cpu']);
    // Once loaded it is no longer heavy to use: a new small bucket times it too.
    await loss.forward(l2Call(2, 2).inputs);
    expect(loss.explain().routes[2]!.timings.map((t) => t.backend)).toEqual(['ts', 'tfjs-cpu']);
  });

  it('loads a heavy runtime for a small call when nothing light can run it', async () => {
    const { router, loaded } = lazyRouter({ loadHeavyAboveElements: 1 << 21 }, ['ts']);
    const loss = await router.createLoss('L2Loss');
    const r = await loss.forward(l2Call().inputs);
    expect(r.loss.data).toHaveLength(4);
    expect(loaded).toEqual(['ts', 'tfjs-cpu']);
    expect(loss.explain().backend).toBe('tfjs-cpu');
  });

  it('a large bucket loads only the candidates the cost model says can win, and ranks them by prediction', async () => {
    const clock = new FakeClock();
    const loaded: string[] = [];
    const costs: Readonly<Record<string, number>> = { ts: 1, 'tfjs-cpu': 0.1, 'onnx-node': 0.1, 'wasm-simd': 0.5 };
    const router = createRouter({
      environment: 'node',
      eligibility: {
        ...table,
        environments: {
          node: { ts: ['L2Loss'], 'tfjs-cpu': ['L2Loss'], 'onnx-node': ['L2Loss'], 'wasm-simd': ['L2Loss'] },
        },
      },
      clock: clock.read,
      calibration: EXACT,
      // 512 elements is "large" here; the proxy has 2 of its 64 rows. 3000 ns a byte:
      // ts's traffic is 13 ms, wasm-simd's 26 ms, onnx-node's and tfjs-cpu's 38 ms.
      cost: {
        proxyAboveElements: 64,
        proxyElements: 16,
        copyNsPerByte: 3000,
        copyMargin: 1,
        typicalLoadMs: { 'tfjs-cpu': 1000, 'onnx-node': 1, 'wasm-simd': 1 },
      },
      loadBackend: async (name): Promise<Backend> => {
        loaded.push(name);
        return scriptedBackend({ name, cost: costs[name]! }, clock);
      },
    });
    const loss = await router.createLoss('L2Loss');
    const { inputs } = l2Call(64, 8);
    const result = await loss.forward(inputs);
    // ts (the baseline) predicts 1 ms x 32 = 32 ms. tfjs-cpu could save at most 32 - 38 < 0,
    // onnx-node's traffic alone is more than 32 ms: neither is loaded. wasm-simd: 16 ms of
    // compute, 26 ms of traffic, so 26 ms: it wins, though ts's proxy runs were not 2x slower.
    expect(loaded).toEqual(['ts', 'wasm-simd']);
    const e = loss.explain();
    expect(e.backend).toBe('wasm-simd');
    const timings = Object.fromEntries(e.routes[0]!.timings.map((t) => [t.backend, t]));
    expect(timings.ts).toMatchObject({ status: 'timed', medianMs: 1, predictedMs: 32 });
    expect(timings['wasm-simd']!.predictedMs).toBeCloseTo(((2 * 4096 + 2 * 256) * 3000) / 1e6);
    expect(timings['tfjs-cpu']).toMatchObject({ status: 'skipped', medianMs: null });
    expect(timings['onnx-node']!.status).toBe('skipped');
    expect(timings['onnx-node']!.reason).toMatch(/memory traffic/);
    expect(e.routes[0]!.reason).toContain('timed on a proxy of 2 of 64 rows');
    expect(result.loss.data).toEqual((await directL2(inputs)).loss.data);
  });

  it('never runs a backend that is not in the table for the loss, whatever the policy', async () => {
    const { router, loaded } = lazyRouter();
    await expect(router.createLoss('L2Loss', {}, { policy: 'only:tfjs-wasm' })).rejects.toBeInstanceOf(NoBackendError);
    const loss = await router.createLoss('L2Loss', {}, { policy: 'prefer:tfjs-wasm' });
    await loss.forward(l2Call().inputs);
    expect(loaded).not.toContain('tfjs-wasm');
    expect(loss.explain().backend).not.toBe('tfjs-wasm');
  });

  it('an injected backend runs only the losses declared for it', async () => {
    const clock = new FakeClock();
    const mine = scriptedBackend({ name: 'mine', cost: 0 }, clock);
    const router = createRouter({
      builtins: false,
      backends: [{ backend: mine, eligibility: ['L1Loss'] }],
      clock: clock.read,
    });
    await expect(router.createLoss('L2Loss')).rejects.toBeInstanceOf(NoBackendError);
    expect(mine.probes).toBe(0);
    const l1 = await router.createLoss('L1Loss');
    await l1.forward(l2Call().inputs);
    expect(l1.explain().backend).toBe('mine');
  });

  it('takes MXNet names and aliases, and rejects configs as the spec does', async () => {
    const { router } = setup([{ name: 'a' }]);
    await expect(router.createLoss('L2Loss', { weight: null } as never)).rejects.toBeInstanceOf(ConfigError);
    // @ts-expect-error: a literal loss name types its config with MXNet's keys
    await expect(router.createLoss('L2Loss', { nope: 1 })).rejects.toMatchObject({ kind: 'config', argument: 'nope' });
    // @ts-expect-error: a literal loss name must be one of the spec's (a name known only at run time is a string)
    await expect(router.createLoss('MSELoss')).rejects.toBeInstanceOf(UnknownLossError);
    await expect(router.createLoss(String('MSELoss'))).rejects.toBeInstanceOf(UnknownLossError);
    const { router: r2 } = setup([{ name: 'a' }], {
      backends: [{ backend: scriptedBackend({ name: 'a' }, new FakeClock()), eligibility: ['SoftmaxCELoss'] }],
    });
    const ce = await r2.createLoss('SoftmaxCELoss', { sparse_label: true });
    expect(ce.loss).toBe('SoftmaxCrossEntropyLoss');
  });
});
