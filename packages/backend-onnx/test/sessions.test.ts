/**
 * A compiled loss builds one session per (mode, input dtypes and shapes), reuses it, and
 * releases every one on dispose(); bad input is refused before any graph is built.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DisposedError, InputError, ShapeError, tensor } from '@gluon-loss/spec';
import { createOnnxBackend, type SessionEvent } from '../src/index.js';

const f32 = (data: number[], shape: number[]) => tensor(Float32Array.from(data), shape);

describe.each(['wasm', 'node'] as const)('onnx-%s sessions', (variant) => {
  const events: SessionEvent[] = [];
  const backend = createOnnxBackend(variant, { onSession: (e) => events.push(e) });
  const created = () => events.filter((e) => e.type === 'created');

  it('are built once per mode and input signature, then reused', async () => {
    events.length = 0;
    const l1 = await backend.compile('L1Loss');
    const pred = f32([1, 2, 3, 4], [2, 2]);
    const label = f32([1, 0, 3, 5], [2, 2]);
    const head = f32([1, 1], [2]);
    const first = await l1.forward({ pred, label });
    await l1.forward({ pred, label });
    expect(created()).toHaveLength(1);
    // |label - pred| = [0, 2, 0, 1]; row means
    expect([...first.loss.data]).toEqual([1, 0.5]);

    await l1.forwardBackward({ pred, label }, head);
    await l1.forwardBackward({ pred, label }, head);
    expect(created().map((e) => e.mode)).toEqual(['forward', 'backward']);

    await l1.forward({ pred: f32([1, 2, 3], [3]), label: f32([0, 0, 0], [3]) });
    await l1.forward({ pred, label: tensor(Int32Array.from([1, 0, 3, 5]), [2, 2]) });
    await l1.forward({ pred, label, sample_weight: f32([1, 2], [2, 1]) });
    expect(created()).toHaveLength(5);
    expect(new Set(created().map((e) => e.key)).size).toBe(5);
    expect(l1.sessionCount).toBe(5);
    l1.dispose();
    await l1.whenReleased();
  });

  it('run concurrent calls on one session', async () => {
    events.length = 0;
    const l2 = await backend.compile('L2Loss');
    const calls = Array.from({ length: 6 }, (_, k) =>
      l2.forward({ pred: f32([k, 0], [1, 2]), label: f32([0, 0], [1, 2]) }),
    );
    const results = await Promise.all(calls);
    expect(created()).toHaveLength(1);
    // mean(square(label - pred)) * weight / 2 with weight 1: (k^2 + 0) / 2 / 2
    expect(results.map((r) => r.loss.data[0])).toEqual([0, 1, 2, 3, 4, 5].map((k) => (k * k) / 4));
    l2.dispose();
    await l2.whenReleased();
  });

  it('are all released by dispose(), which is idempotent', async () => {
    events.length = 0;
    const huber = await backend.compile('HuberLoss', { rho: 0.5 });
    const pred = f32([0, 1, 2], [3, 1]);
    const label = f32([1, 1, 1], [3, 1]);
    await huber.forward({ pred, label });
    await huber.forwardBackward({ pred, label }, f32([1, 1, 1], [3]));
    await huber.forward({ pred: f32([0, 1], [2, 1]), label: f32([1, 1], [2, 1]) });
    expect(huber.sessionCount).toBe(3);
    huber.dispose();
    huber.dispose();
    await huber.whenReleased();
    expect(huber.sessionCount).toBe(0);
    const released = events.filter((e) => e.type === 'released');
    expect(released.map((e) => e.key).sort()).toEqual(
      created()
        .map((e) => e.key)
        .sort(),
    );
    await expect(huber.forward({ pred, label })).rejects.toBeInstanceOf(DisposedError);
  });

  it('are not built for input the spec rejects', async () => {
    events.length = 0;
    const l2 = await backend.compile('L2Loss');
    await expect(l2.forward({ pred: f32([1, 2, 3], [3]), label: f32([1, 2], [2]) })).rejects.toBeInstanceOf(ShapeError);
    const ctc = await backend.compile('CTCLoss');
    const pred = f32(new Array<number>(2 * 3 * 4).fill(0), [2, 3, 4]);
    // label 4 is out of range for 4 channels (0..3): MXNet would read out of bounds
    await expect(ctc.forward({ pred, label: f32([0, 4, 1, -1], [2, 2]) })).rejects.toBeInstanceOf(InputError);
    await expect(
      ctc.forwardBackward({ pred, label: f32([0, 1, 1, -1], [2, 2]) }, f32([1, 1, 1], [3])),
    ).rejects.toBeInstanceOf(ShapeError);
    expect(events).toHaveLength(0);
    l2.dispose();
    ctc.dispose();
  });
});

/** The OS threads of this process (Linux); undefined elsewhere. */
function threadCount(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

describe.each(['wasm', 'node'] as const)('onnx-%s session LRU', (variant) => {
  it('keeps at most maxEntries sessions over every compiled loss, least recently used out, and results stay right', async () => {
    const events: SessionEvent[] = [];
    const backend = createOnnxBackend(variant, {
      sessionCache: { maxEntries: 4 },
      onSession: (e) => events.push(e),
    });
    const l1 = await backend.compile('L1Loss');
    const l2 = await backend.compile('L2Loss');
    const threadsBefore = threadCount();
    for (let n = 1; n <= 12; n++) {
      const pred = tensor(new Float32Array(n).fill(2), [n]);
      const label = tensor(new Float32Array(n), [n]);
      expect([...(await l1.forward({ pred, label })).loss.data]).toEqual(new Array(n).fill(2));
      expect([...(await l2.forward({ pred, label })).loss.data]).toEqual(new Array(n).fill(2));
      expect(backend.sessionStats().count).toBeLessThanOrEqual(4);
    }
    expect(l1.sessionCount + l2.sessionCount).toBeLessThanOrEqual(4);
    // The shape evicted first comes back: built again, right again.
    const back = await l1.forward({ pred: f32([3], [1]), label: f32([1], [1]) });
    expect([...back.loss.data]).toEqual([2]);
    expect(events.filter((e) => e.type === 'created').length).toBe(25);
    // Small sessions start no thread pool of their own (onnx-node: intraOpNumThreads 1).
    const threadsAfter = threadCount();
    if (threadsBefore !== undefined && threadsAfter !== undefined && variant === 'node')
      expect(threadsAfter).toBeLessThanOrEqual(threadsBefore);
    l1.dispose();
    l2.dispose();
    await Promise.all([l1.whenReleased(), l2.whenReleased()]);
    expect(backend.sessionStats().count).toBe(0);
  });

  it('takes inputs backed by a SharedArrayBuffer', async () => {
    const backend = createOnnxBackend(variant);
    const l1 = await backend.compile('L1Loss');
    const pred = new Float32Array(new SharedArrayBuffer(8));
    pred.set([1, 5]);
    const label = new Float32Array(new SharedArrayBuffer(8));
    const { loss } = await l1.forward({ pred: tensor(pred, [2]), label: tensor(label, [2]) });
    expect([...loss.data]).toEqual([1, 5]);
    l1.dispose();
    await l1.whenReleased();
  });
});
