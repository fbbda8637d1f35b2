/**
 * The pure parts of routing, without a clock or a backend: the decision from made-up
 * timings, the compiled-state LRU, and the cost model's proxy of a large call.
 */
import { describe, expect, it } from 'vitest';
import { LruCache, parseConfig, planCall, type CompiledLoss } from '@gluon-loss/spec';
import type { CandidateTiming } from '../src/index.js';
import { CompiledCache } from '../src/compiled-cache.js';
import { estimateCost, needsProxy, proxyInputs } from '../src/cost-model.js';
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
