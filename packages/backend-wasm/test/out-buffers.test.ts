/**
 * The `out` option: results written into the caller's buffers. An element-wise loss
 * copies its gradients and loss straight out of wasm memory into them (no result array
 * allocated); every other loss's results are copied in by the spec's base class. Either
 * way the values are bit-identical to a call without `out`, on both variants.
 */
import { describe, expect, it } from 'vitest';
import {
  LOSS_NAMES,
  lossSpec,
  seededRng,
  type ForwardBackwardResult,
  type LossInputs,
  type ResultBuffers,
} from '@gluon-loss/spec';
import { createWasmBackend } from '../src/index.js';

function buffersLike(r: ForwardBackwardResult): { loss: Float32Array; grads: Record<string, Float32Array> } {
  const grads: Record<string, Float32Array> = {};
  for (const name in r.grads) grads[name] = new Float32Array(r.grads[name]!.data.length).fill(Number.NaN);
  return { loss: new Float32Array(r.loss.data.length).fill(Number.NaN), grads };
}

/** Bit-identical (NaN payloads included), without vitest's element-by-element diff of large arrays. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const variants = [
  ['wasm-simd', () => createWasmBackend()],
  ['wasm-simd-mt', () => createWasmBackend({ threads: 2 })],
] as const;

describe.each(variants)('out buffers on %s', (_name, create) => {
  it.each([...LOSS_NAMES])(
    '%s: the results are the buffers given, with the values of a call without them',
    async (lossName) => {
      const backend = create();
      const loss = await backend.compile(lossName);
      try {
        // Large enough for the threaded variant to spread an element-wise call over its workers.
        const inputs: LossInputs = lossSpec(lossName).sampleInputs(1 << 17, seededRng(`out/${lossName}`));
        const fresh = await loss.forwardBackward(inputs);
        const out = buffersLike(fresh);
        const written = await loss.forwardBackward(inputs, undefined, { out });
        expect(written.loss.data).toBe(out.loss);
        expect(written.loss.shape).toEqual(fresh.loss.shape);
        expect(sameBits(out.loss, fresh.loss.data)).toBe(true);
        for (const name in fresh.grads) {
          expect(written.grads[name]!.data, name).toBe(out.grads[name]);
          expect(sameBits(out.grads[name]!, fresh.grads[name]!.data), name).toBe(true);
        }
        const forwardOut: ResultBuffers = { loss: new Float32Array(out.loss.length) };
        const forward = await loss.forward(inputs, { out: forwardOut });
        expect(forward.loss.data).toBe(forwardOut.loss);
        expect(sameBits(forwardOut.loss!, fresh.loss.data)).toBe(true);
      } finally {
        loss.dispose();
        await backend.dispose?.();
      }
    },
    60_000,
  );
});

describe('writesOutBeforeReturning', () => {
  it('is true single-threaded (the call fills out before it returns) and false threaded', async () => {
    const single = await createWasmBackend().compile('L2Loss');
    const threadedBackend = createWasmBackend({ threads: 2 });
    const threaded = await threadedBackend.compile('L2Loss');
    expect(single.writesOutBeforeReturning).toBe(true);
    expect(threaded.writesOutBeforeReturning).toBe(false);
    const n = 8;
    const inputs = {
      pred: { data: new Float32Array(n).map((_, i) => i), shape: [2, 4] },
      label: { data: new Float32Array(n), shape: [2, 4] },
    };
    const out = { loss: new Float32Array(2) };
    const pending = single.forward(inputs, { out });
    // Filled already, before the promise is awaited: what lets the router hand it the buffers.
    expect(Array.from(out.loss)).toEqual([(0 + 1 + 4 + 9) / 8, (16 + 25 + 36 + 49) / 8]);
    await pending;
    single.dispose();
    threaded.dispose();
    await threadedBackend.dispose?.();
  });
});
