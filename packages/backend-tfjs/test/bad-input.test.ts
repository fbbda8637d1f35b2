/**
 * Whatever the spec rejects is rejected before tfjs sees the call: no tensor is made
 * (tfjs numbers every tensor it creates, so the next tensor's id shows whether any was
 * made in between), and the error is the spec's typed error.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  DisposedError,
  DtypeError,
  InputError,
  ShapeError,
  type CompiledLoss,
  type LossInputs,
  type Tensor,
} from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';

const f32 = (values: number[], shape: number[]): Tensor<Float32Array> => ({ data: Float32Array.from(values), shape });

/** Runs `call`, which must reject, and says how many tensors tfjs made meanwhile. */
async function tensorsMadeWhileRejecting(call: () => Promise<unknown>): Promise<{ error: unknown; made: number }> {
  const before = tf.scalar(0);
  const error = await call().then(
    () => new Error('the call was accepted'),
    (e: unknown) => e,
  );
  const after = tf.scalar(0);
  const made = after.id - before.id - 1;
  tf.dispose([before, after]);
  return { error, made };
}

describe.each(['cpu', 'wasm'] as const)('tfjs-%s with bad input', (variant) => {
  const backend = createTfjsBackend(variant);
  let l2: CompiledLoss;
  let ctc: CompiledLoss;

  it('compiles', async () => {
    l2 = await backend.compile('L2Loss');
    ctc = await backend.compile('CTCLoss');
  });

  const cases: [string, () => Promise<unknown>, new (...args: never[]) => Error][] = [
    ['a label of another size', () => l2.forward({ pred: f32([1, 2, 3], [3]), label: f32([1, 2], [2]) }), ShapeError],
    [
      'a Float64Array',
      () =>
        l2.forward({ pred: { data: Float64Array.from([1]), shape: [1] } as unknown as Tensor, label: f32([1], [1]) }),
      DtypeError,
    ],
    [
      'an unknown input',
      () => l2.forward({ pred: f32([1], [1]), label: f32([1], [1]), weight: f32([1], [1]) }),
      InputError,
    ],
    ['a missing label', () => l2.forward({ pred: f32([1], [1]) } as LossInputs), InputError],
    [
      'a head gradient of the wrong shape',
      () => l2.forwardBackward({ pred: f32([1, 2], [2, 1]), label: f32([1, 2], [2, 1]) }, f32([1], [1])),
      ShapeError,
    ],
    [
      'a CTC label past the alphabet',
      () => ctc.forward({ pred: f32(new Array(12).fill(0), [1, 4, 3]), label: f32([0, 5], [1, 2]) }),
      InputError,
    ],
    [
      'a CTC pred_length past T',
      () =>
        ctc.forward({
          pred: f32(new Array(12).fill(0), [1, 4, 3]),
          label: f32([0, 1], [1, 2]),
          pred_lengths: f32([5], [1]),
        }),
      InputError,
    ],
  ];

  it.each(cases)('rejects %s before making a tensor', async (_, call, errorClass) => {
    const { error, made } = await tensorsMadeWhileRejecting(call);
    expect(error).toBeInstanceOf(errorClass);
    expect(made).toBe(0);
  });

  it('rejects a call after dispose() with DisposedError, before making a tensor', async () => {
    l2.dispose();
    const { error, made } = await tensorsMadeWhileRejecting(() =>
      l2.forward({ pred: f32([1], [1]), label: f32([1], [1]) }),
    );
    expect(error).toBeInstanceOf(DisposedError);
    expect(made).toBe(0);
    ctc.dispose();
  });

  it('disposes a loss whose call is still waiting for the engine without running it', async () => {
    const compiled = await backend.compile('L1Loss');
    const pending = compiled.forward({ pred: f32([1], [1]), label: f32([0], [1]) });
    compiled.dispose();
    await expect(pending).rejects.toBeInstanceOf(DisposedError);
  });
});
