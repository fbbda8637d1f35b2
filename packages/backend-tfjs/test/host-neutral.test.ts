/**
 * The application's own tfjs state is its own: after any call on a tfjs variant, the
 * backend it activated and the flags it set are as they were.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';

describe('host neutrality', () => {
  it("an app that chose tf.setBackend('cpu') still has it after calls on tfjs-wasm (and its first load)", async () => {
    await tf.setBackend('cpu');
    const flagsBefore = { ...tf.env().getFlags() };
    const wasm = createTfjsBackend('wasm');
    expect(await wasm.probe()).toEqual({ available: true });
    expect(tf.getBackend()).toBe('cpu');
    const l2 = await wasm.compile('L2Loss');
    const pred = tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const label = tensor(Float32Array.from([0, 0, 0, 0]), [2, 2]);
    const { loss } = await l2.forward({ pred, label });
    expect([...loss.data]).toEqual([1.25, 6.25]);
    const { grads } = await l2.forwardBackward({ pred, label }, tensor(Float32Array.from([1, 1]), [2]));
    expect([...grads.pred!.data]).toEqual([0.5, 1, 1.5, 2]);
    expect(tf.getBackend()).toBe('cpu');
    for (const name of ['WASM_HAS_MULTITHREAD_SUPPORT', 'IS_TEST'])
      expect(tf.env().getFlags()[name]).toBe(flagsBefore[name]);
    // The app's own ops still run on its backend.
    const mine = tf.add(tf.tensor1d([1]), 1);
    expect(tf.getBackend()).toBe('cpu');
    expect(await mine.data()).toEqual(Float32Array.from([2]));
    mine.dispose();
    l2.dispose();
  });
});
