/**
 * The pure parts of routing, without a clock or a backend: the decision from made-up
 * timings, the compiled-state LRU, and the cost model's proxy of a large call, its
 * predictions and which candidates a large bucket's calibration loads at all.
 */
import { describe, expect, it } from 'vitest';
import { LruCache, parseConfig, planCall, type CompiledLoss } from '@gluon-loss/spec';
import type { CandidateTiming } from '../src/index.js';
import { CompiledCache } from '../src/compiled-cache.js';
import { timeContenders, type Contender } from '../src/calibration.js';
import {
  admitCandidate,
  estimateCost,
  needsProxy,
  predictCallMs,
  proxyInputs,
  trafficMs,
  type CallCost,
} from '../src/cost-model.js';
import { decide, fallbackDecision, planDecision } from '../src/decide.js';

const timed = (
  backend: string,
  medianMs: number | null,
  status: CandidateTiming['status'] = 'timed',
): CandidateTiming => ({
  backend,
  status,
  loadMs: null,
  compileMs: null,
  firstCallMs: medianMs,
  runsMs: medianMs === null ? [] : [medianMs],
  medianMs,
});

describe('decide', () => {
  it('plans: a named candidate runs untimed, one candidate is single, several are timed', () => {
    expect(planDecision({ kind: 'only', backend: 'a' }, ['a'])).toEqual({ kind: 'named', backend: 'a', rule: 'only' });
    expect(planDecision({ kind: 'prefer', backend: 'b' }, ['a', 'c'])).toEqual({
      kind: 'time',
      candidates: ['a', 'c'],
    });
    expect(planDecision({ kind: 'fastest' }, ['a'])).toEqual({ kind: 'single', backend: 'a' });
    expect(planDecision({ kind: 'fastest' }, [])).toEqual({ kind: 'none' });
  });

  it('the lowest median wins; ties go to the earlier candidate; no time means no decision', () => {
    const fastest = { kind: 'fastest' } as const;
    const facts = { policyName: 'fastest' };
    expect(decide(['a', 'b', 'c'], fastest, [timed('a', 3), timed('b', 1), timed('c', 2)], facts)).toMatchObject({
      backend: 'b',
      fallbacks: ['c', 'a'],
      rule: 'fastest',
    });
    expect(decide(['a', 'b'], fastest, [timed('a', 2), timed('b', 2)], facts)!.backend).toBe('a');
    expect(decide(['a', 'b'], fastest, [timed('a', null, 'failed'), timed('b', 5)], facts)).toMatchObject({
      backend: 'b',
      rule: 'single',
      fallbacks: [],
    });
    expect(
      decide(['a', 'b'], fastest, [timed('a', null, 'failed'), timed('b', null, 'failed')], facts),
    ).toBeUndefined();
  });

  it('a proxy is named in the reason', () => {
    const core = decide(['a', 'b'], { kind: 'fastest' }, [timed('a', 1), timed('b', 2)], {
      policyName: 'fastest',
      timedOn: 'timed on a proxy of 5 of 4096 rows',
    })!;
    expect(core.reason).toContain('timed on a proxy of 5 of 4096 rows');
  });

  it('a fallback decision keeps the untried candidates first and the failed usable ones last', () => {
    const previous = { ...decide(['a'], { kind: 'fastest' }, [], { policyName: 'fastest' })!, loss: 'L2Loss' } as never;
    const core = fallbackDecision(
      previous,
      'b',
      ['c'],
      ['a'],
      ['a'],
      [{ backend: 'a', stage: 'call', reason: 'boom' }],
    );
    expect(core).toMatchObject({ backend: 'b', fallbacks: ['c', 'a'], rule: 'fallback' });
    expect(core.reason).toContain('a: boom');
  });
});

describe('LruCache', () => {
  it('evicts the least recently used unpinned entry past the count or the bytes', () => {
    const evicted: string[] = [];
    const lru = new LruCache<string, number>({ maxEntries: 2, maxBytes: 100 }, (k) => evicted.push(k));
    lru.set('a', 1, 10);
    lru.set('b', 2, 10);
    lru.get('a'); // b is now the oldest
    lru.set('c', 3, 10);
    expect(evicted).toEqual(['b']);
    lru.pin('a');
    lru.set('d', 4, 85); // 105 bytes: c goes (a is pinned), and 95 bytes fit
    expect(evicted).toEqual(['b', 'c']);
    expect(lru.keys()).toEqual(['a', 'd']);
    lru.unpin('a');
    lru.set('e', 5, 1); // three entries: a, the oldest, goes now that it is unpinned
    expect(evicted).toEqual(['b', 'c', 'a']);
    expect(lru.bytes).toBe(86);
  });
});

describe('CompiledCache', () => {
  it('disposes what it evicts, and what is released, once the compile settles', async () => {
    const disposed: string[] = [];
    const fake = (name: string) => ({ dispose: () => disposed.push(name) }) as unknown as CompiledLoss;
    const cache = new CompiledCache({ maxEntries: 2, maxBytes: Infinity });
    for (const name of ['a', 'b', 'c']) cache.add(name, Promise.resolve(fake(name)));
    await Promise.resolve();
    await Promise.resolve();
    expect(disposed).toEqual(['a']);
    expect(cache.ready('b')).toBeDefined();
    cache.release('b');
    await Promise.resolve();
    expect(disposed).toEqual(['a', 'b']);
    expect(cache.backends()).toEqual(['c']);
  });
});

describe('cost model', () => {
  it('a large SoftmaxCE call gets a proxy of its first rows, same classes, valid for the spec', () => {
    const config = parseConfig('SoftmaxCrossEntropyLoss', {});
    const rows = 4096;
    const classes = 1000;
    const pred = { data: new Float32Array(rows * classes), shape: [rows, classes] };
    const label = { data: new Float32Array(rows).map((_, i) => i % classes), shape: [rows] };
    const plan = planCall('SoftmaxCrossEntropyLoss', config, { pred, label });
    const cost = estimateCost(plan, 'forwardBackward');
    expect(cost.mainElements).toBe(rows * classes);
    expect(needsProxy(cost)).toBe(true);
    const proxy = proxyInputs(plan)!;
    expect(proxy.plan.tensors.pred!.shape).toEqual([262, classes]);
    expect(proxy.plan.tensors.label!.shape).toEqual([262]);
    expect(proxy.plan.tensors.pred!.data.buffer).toBe(pred.data.buffer); // a view, not a copy
    expect(proxy.description).toContain('262 of 4096 rows');
  });

  it('a small call needs no proxy; a loss batched on another axis gets none', () => {
    const small = planCall('L2Loss', parseConfig('L2Loss', {}), {
      pred: { data: new Float32Array(64), shape: [8, 8] },
      label: { data: new Float32Array(64), shape: [8, 8] },
    });
    expect(needsProxy(estimateCost(small, 'forward'))).toBe(false);
    const sdml = planCall('SDMLLoss', parseConfig('SDMLLoss', {}), {
      x1: { data: new Float32Array(64), shape: [8, 8] },
      x2: { data: new Float32Array(64), shape: [8, 8] },
    });
    expect(proxyInputs(sdml)).toBeUndefined();
  });
});

describe('first-call cost model', () => {
  // 1M elements in, 1M out (a forwardBackward's gradient), and a proxy of 1/64 of it.
  const real: CallCost = {
    mainElements: 1 << 20,
    elements: 2 << 20,
    bytes: 8 << 20,
    inputBytes: 4 << 20,
    outputBytes: 4 << 20,
  };
  const proxy: CallCost = {
    mainElements: 1 << 14,
    elements: 2 << 14,
    bytes: 8 << 14,
    inputBytes: 4 << 14,
    outputBytes: 4 << 14,
  };

  it('estimateCost splits the bytes read from the bytes written', () => {
    const plan = planCall('L2Loss', parseConfig('L2Loss', {}), {
      pred: { data: new Float32Array(32), shape: [4, 8] },
      label: { data: new Float32Array(32), shape: [4, 8] },
    });
    const forward = estimateCost(plan, 'forward');
    expect(forward).toMatchObject({ inputBytes: 64 * 4, outputBytes: 4 * 4, bytes: 68 * 4 });
    const backward = estimateCost(plan, 'forwardBackward');
    expect(backward.outputBytes).toBeGreaterThan(forward.outputBytes); // the gradients
    expect(backward.bytes).toBe(backward.inputBytes + backward.outputBytes);
  });

  it("traffic counts every tensor once plus the backend's copies of it", () => {
    expect(trafficMs(real, { inputs: 0, outputs: 0 }, 1)).toBeCloseTo((8 << 20) / 1e6);
    expect(trafficMs(real, { inputs: 2, outputs: 1 }, 1)).toBeCloseTo((3 * (4 << 20) + 2 * (4 << 20)) / 1e6);
  });

  it('predicts the real call as a roofline: scaled compute or the traffic, whichever is more', () => {
    const none = { inputs: 0, outputs: 0 };
    const copier = { inputs: 2, outputs: 1 };
    // Compute-bound: 1 ms on the proxy is 64 ms at full size, more than either's traffic.
    expect(predictCallMs(1, proxy, real, none, 1)).toBeCloseTo(64);
    expect(predictCallMs(1, proxy, real, copier, 1)).toBeCloseTo(64);
    // Memory-bound: the copier's traffic decides, so a faster kernel on the proxy loses.
    const ts = predictCallMs(0.2, proxy, real, none, 5);
    const onnx = predictCallMs(0.1, proxy, real, copier, 5);
    expect(ts).toBeCloseTo(trafficMs(real, none, 5));
    expect(onnx).toBeGreaterThan(ts);
    // An injected backend's copies are unknown: scaled only.
    expect(predictCallMs(0.1, proxy, real, undefined, 5)).toBeCloseTo(6.4);
  });

  it('ranks a proxy by prediction, not by the proxy median', () => {
    const ts = { ...timed('ts', 2), predictedMs: 300 };
    const onnx = { ...timed('onnx-node', 0.7), predictedMs: 900 };
    expect(decide(['onnx-node', 'ts'], { kind: 'fastest' }, [onnx, ts], { policyName: 'fastest' })).toMatchObject({
      backend: 'ts',
      fallbacks: ['onnx-node'],
    });
  });

  it('admits the baseline, then only candidates that can win and pay for their load within the budget', () => {
    const best = { backend: 'ts', predictedMs: 1000 };
    const soFar = { best, spentMs: 100, budget: 0.5 };
    // The first candidate is the baseline: always timed.
    expect(admitCandidate({ backend: 'ts', loadMs: 0, floorMs: 5000 }, { ...soFar, best: undefined })).toBeUndefined();
    // Its traffic alone is more than the best whole call: it cannot win.
    expect(admitCandidate({ backend: 'onnx-node', loadMs: 0, floorMs: 1000 }, soFar)).toMatch(/memory traffic/);
    // At best it saves 1000 - 900 = 100 ms: not worth a 350 ms load.
    expect(admitCandidate({ backend: 'onnx-node', loadMs: 350, floorMs: 900 }, soFar)).toMatch(/could save/);
    // It could save enough, but the load would pass the budget (0.5 x 1000 ms, 100 spent).
    expect(admitCandidate({ backend: 'tfjs-cpu', loadMs: 450, floorMs: 100 }, soFar)).toMatch(/budget/);
    // Within the budget: loaded and timed; an already loaded one costs only its timing.
    expect(admitCandidate({ backend: 'wasm-simd', loadMs: 60, floorMs: 500 }, soFar)).toBeUndefined();
    expect(admitCandidate({ backend: 'wasm-simd', loadMs: 0, floorMs: 500 }, soFar)).toBeUndefined();
    expect(admitCandidate({ backend: 'wasm-simd', loadMs: 0, floorMs: 500 }, { ...soFar, spentMs: 600 })).toMatch(
      /is spent/,
    );
  });
});

describe('timeContenders, on a made-up clock', () => {
  function contender(name: string, clock: { t: number }, callMs: number, prepared: string[]): Contender<string> {
    return {
      backend: name,
      prepare: () => {
        prepared.push(name);
        return Promise.resolve({
          ok: true,
          loadMs: null,
          compileMs: null,
          call: () => {
            clock.t += callMs;
            return Promise.resolve(name);
          },
        });
      },
    };
  }
  const settings = { runs: 3, minTimedMs: 0, maxRuns: 3, pruneFactor: 4, minRunMs: 0 };

  it('never prepares a skipped contender, and decides by the prediction', async () => {
    const clock = { t: 0 };
    const prepared: string[] = [];
    const outcome = await timeContenders(
      [contender('a', clock, 2, prepared), contender('b', clock, 1, prepared), contender('c', clock, 1, prepared)],
      () => clock.t,
      settings,
      () => undefined,
      {
        admit: (backend, best) => (backend === 'c' ? `not worth it after ${best?.backend}` : undefined),
        predict: (backend, runsMs) => Math.min(...runsMs) * (backend === 'b' ? 10 : 1), // b copies a lot
      },
    );
    expect(prepared).toEqual(['a', 'b']);
    expect(outcome.timings.map((t) => [t.backend, t.status, t.medianMs, t.predictedMs])).toEqual([
      ['a', 'timed', 2, 2],
      ['b', 'timed', 1, 10],
      ['c', 'skipped', null, undefined],
    ]);
    expect(outcome.timings[2]!.reason).toBe('not worth it after a');
    expect(outcome.ranking).toEqual(['a', 'b']);
    expect(outcome.result).toBe('a');
  });

  it('repeats a timed run until it spans minRunMs on a coarse clock, and reports the time per call', async () => {
    // A page's clock: 0.1 ms steps. A 0.02 ms call times as 0 or 0.1 ms on its own.
    const clock = { t: 0 };
    const coarse = () => Math.floor(clock.t / 0.1 + 1e-9) * 0.1;
    const outcome = await timeContenders(
      [contender('ts', clock, 0.02, [])],
      coarse,
      { ...settings, minRunMs: 1 },
      () => undefined,
    );
    const ts = outcome.timings[0]!;
    expect(ts.runsMs).toHaveLength(3);
    for (const run of ts.runsMs) expect(run).toBeCloseTo(0.02, 2);
    expect(ts.medianMs).toBeGreaterThan(0);
  });
});
