/**
 * wasm-simd-mt: a large elementwise call is cut into units (kernels/walk.h, units2_*)
 * spread over a pool of Node workers on one shared memory (a SoftmaxCE call: its rows). Its results must be the same
 * bits for any thread count (the unit sums are added in unit order, never in thread
 * order), the work must really be spread (at least two workers ran tasks), and, where a
 * unit is a whole block, the bits must equal single-threaded wasm-simd's. (The same in
 * Chromium's Web Workers: packages/browser/test/wasm-threads-browser.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { draw, seededRng, type FloatTensor, type ForwardBackwardResult } from '@gluon-loss/spec';
import { createWasmBackend, THREAD_THRESHOLD, type WasmBackend } from '../src/index.js';

/** Values in [-4, 4) from the spec's seeded generator. */
function seeded(seed: number, length: number): Float32Array {
  return draw.uniform([length], seededRng(seed), -4, 4).data;
}

/** Positions where two results' bits differ, over every tensor (a loop: deep equality is slow on 10^6 lanes). */
function differences(a: Uint32Array[], b: Uint32Array[]): number {
  expect(b.map((t) => t.length)).toEqual(a.map((t) => t.length));
  let count = 0;
  a.forEach((t, i) => {
    const u = b[i]!;
    for (let k = 0; k < t.length; k++) if (t[k] !== u[k]) count++;
  });
  return count;
}

function bits(result: ForwardBackwardResult): Uint32Array[] {
  const tensors: FloatTensor[] = [result.loss, ...Object.values(result.grads)];
  return tensors.map((t) => new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

const backends: WasmBackend[] = [];
afterAll(async () => {
  for (const b of backends) await b.dispose?.();
});

async function run(backend: WasmBackend, loss: string, config: object, shape: number[]): Promise<Uint32Array[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  const compiled = await backend.compile(loss, config);
  const pred = { data: seeded(1, size), shape };
  const label = { data: seeded(2, size), shape };
  const batch = shape[0]!;
  const head = { data: seeded(3, batch), shape: [batch] };
  const inputs = loss === 'PoissonNLLLoss' ? { pred, target: label } : { pred, label };
  const result = await compiled.forwardBackward(inputs, head);
  compiled.dispose();
  return bits(result);
}

describe('wasm-simd-mt', () => {
  const cases: [string, object, number[]][] = [
    ['L2Loss', {}, [512, 1024]],
    ['LogisticLoss', { label_format: 'binary' }, [512, 1024]],
    ['HuberLoss', { rho: 0.5 }, [256, 2048]],
    // blocks longer than a unit: each sample's sum is cut into pieces
    ['SigmoidBinaryCrossEntropyLoss', {}, [2, 3 * 65536 + 12]],
    ['L1Loss', {}, [1, 262147]],
    // softmax rows spread over the threads
    ['SoftmaxCrossEntropyLoss', { sparse_label: false }, [512, 1000]],
  ];
  for (const [loss, config, shape] of cases) {
    it(`${loss} [${shape}] gives the same bits on 1, 2, 3 and 4 threads`, async () => {
      expect(shape.reduce((a, b) => a * b, 1)).toBeGreaterThanOrEqual(THREAD_THRESHOLD);
      const results: Uint32Array[][] = [];
      let four: WasmBackend | undefined;
      for (const threads of [1, 2, 3, 4]) {
        const backend = createWasmBackend({ threads });
        backends.push(backend);
        expect(backend.name).toBe('wasm-simd-mt');
        results.push(await run(backend, loss, config, shape));
        if (threads === 4) four = backend;
      }
      for (const r of results.slice(1)) expect(differences(r, results[0]!)).toBe(0);
      const ran = four!.workerTasks().filter((n) => n > 0).length;
      expect(ran).toBeGreaterThanOrEqual(2);
      if (shape[1]! <= 16384) {
        const single = createWasmBackend();
        backends.push(single);
        expect(differences(await run(single, loss, config, shape), results[0]!)).toBe(0);
      }
    }, 120_000);
  }

  it('runs in Node and in browsers, and is available here: its probe starts the workers', async () => {
    const backend = createWasmBackend({ threads: 3 });
    backends.push(backend);
    expect(backend.environments).toEqual(['node', 'browser']);
    await expect(backend.probe()).resolves.toEqual({ available: true });
    expect(backend.workerTasks()).toEqual([0, 0]);
    expect(() => createWasmBackend({ threads: 0 })).toThrow(RangeError);
  });
});
