/**
 * Soak: 10,000 calls over 1,000 distinct shapes (L2Loss [k, 3], k = 1..1000, ten calls
 * each, forward and forwardBackward alternating) on every Node backend directly and
 * through the router. What is asserted is what must stay bounded whatever the shapes:
 * onnx's session LRU stays within its limit, the process's OS threads
 * (/proc/self/task, Linux) do not grow with the shapes, and the router's routes and
 * compiled-state cache stay small. RSS is printed, never asserted (it depends on the
 * allocator and the GC).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBuiltinBackend } from '@gluon-loss/backends';
import type { Backend } from '@gluon-loss/spec';
import { createRouter } from '../src/index.js';

const SHAPES = 1000;
const CALLS_PER_SHAPE = 10;
/** Threads a backend may add once (its runtime's own pool, libuv's workers), not per shape. */
const THREAD_ALLOWANCE = 8;

function threads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

function call(k: number) {
  const pred = new Float32Array(k * 3).map((_, i) => Math.sin(i + k));
  const label = new Float32Array(k * 3).map((_, i) => Math.cos(i));
  return {
    inputs: { pred: { data: pred, shape: [k, 3] }, label: { data: label, shape: [k, 3] } },
    headGrad: { data: new Float32Array(k).fill(1), shape: [k] },
  };
}

interface Runner {
  forward(inputs: ReturnType<typeof call>['inputs']): Promise<{ loss: { data: Float32Array } }>;
  forwardBackward(
    inputs: ReturnType<typeof call>['inputs'],
    headGrad: ReturnType<typeof call>['headGrad'],
  ): Promise<{ grads: Readonly<Record<string, { data: Float32Array }>> }>;
}

/** Runs the soak on one loss; `check` runs after every shape. */
async function soak(loss: Runner, check: (k: number) => void): Promise<void> {
  for (let k = 1; k <= SHAPES; k++) {
    const { inputs, headGrad } = call(k);
    for (let j = 0; j < CALLS_PER_SHAPE; j++) {
      if (j % 2 === 0) expect((await loss.forward(inputs)).loss.data.length).toBe(k);
      else expect((await loss.forwardBackward(inputs, headGrad)).grads.pred!.data.length).toBe(3 * k);
    }
    check(k);
  }
}

function report(name: string, started: number, rssBefore: number, threadsBefore: number | undefined): void {
  const rss = process.memoryUsage().rss;
  console.log(
    `soak ${name}: ${SHAPES * CALLS_PER_SHAPE} calls over ${SHAPES} shapes in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rss / 2 ** 20).toFixed(0)} MiB; threads ${threadsBefore ?? '?'} -> ${threads() ?? '?'}`,
  );
}

describe('soak: 10,000 calls over 1,000 shapes', () => {
  for (const name of ['ts', 'tfjs-cpu', 'tfjs-wasm', 'onnx-wasm', 'onnx-node']) {
    it(`${name} directly`, { timeout: 120_000 }, async () => {
      const backend = await loadBuiltinBackend(name);
      expect(await backend.probe()).toEqual({ available: true });
      const compiled = await backend.compile('L2Loss');
      const stats = (backend as { sessionStats?: () => { count: number; limits: { maxEntries: number } } })
        .sessionStats;
      const t0 = threads();
      const rss0 = process.memoryUsage().rss;
      const started = performance.now();
      let maxSessions = 0;
      await soak(compiled, () => {
        if (stats !== undefined) maxSessions = Math.max(maxSessions, stats().count);
        const now = threads();
        if (t0 !== undefined && now !== undefined) expect(now).toBeLessThanOrEqual(t0 + THREAD_ALLOWANCE);
      });
      report(name, started, rss0, t0);
      if (stats !== undefined) {
        expect(maxSessions).toBeGreaterThan(0);
        expect(maxSessions).toBeLessThanOrEqual(stats().limits.maxEntries);
      }
      compiled.dispose();
    });
  }

  it('through the router (every Node backend a candidate)', { timeout: 120_000 }, async () => {
    const loaded: Backend[] = [];
    const router = createRouter({
      loadBackend: async (name, options) => {
        const b = await loadBuiltinBackend(name, options);
        loaded.push(b);
        return b;
      },
    });
    const loss = await router.createLoss('L2Loss');
    const t0 = threads();
    const rss0 = process.memoryUsage().rss;
    const started = performance.now();
    await soak(loss, () => {
      const e = loss.explain();
      // Buckets are powers of two of the element count: at most 12 here, two modes each.
      expect(e.routes.length).toBeLessThanOrEqual(24);
      expect(e.compiled.backends.length).toBeLessThanOrEqual(8);
      for (const b of loaded) {
        const stats = (b as { sessionStats?: () => { count: number; limits: { maxEntries: number } } }).sessionStats;
        if (stats !== undefined) expect(stats().count).toBeLessThanOrEqual(stats().limits.maxEntries);
      }
      const now = threads();
      if (t0 !== undefined && now !== undefined) expect(now).toBeLessThanOrEqual(t0 + THREAD_ALLOWANCE);
    });
    report('router', started, rss0, t0);
    expect(loss.explain().calls).toBe(SHAPES * CALLS_PER_SHAPE);
    loss.dispose();
    await router.dispose();
  });
});
