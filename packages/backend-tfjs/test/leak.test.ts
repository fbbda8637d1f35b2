/**
 * A compiled loss disposes every tensor a call makes: after 1,000 forwardBackward calls
 * (and as many forwards) tfjs holds as many tensors as after the first call, and after
 * dispose() as many as before compile. On cpu and on wasm, for losses that exercise each
 * way the backend makes tensors: customGrad (CTC, log_softmax), a JS-built mask (sparse
 * SoftmaxCE), sample_weight broadcasting, and constants kept between calls (SDML).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseConfig, planCall, sizeOf, type LossInputs, type Tensor } from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';

const CALLS = 1000;

function tensor(shape: number[], value: (i: number) => number): Tensor<Float32Array> {
  return { data: Float32Array.from({ length: sizeOf(shape) }, (_, i) => value(i)), shape };
}
const wave = (shape: number[]) => tensor(shape, (i) => Math.sin(1.7 * i + 0.3));

const CASES: { loss: string; config: Record<string, unknown>; inputs: LossInputs }[] = [
  {
    loss: 'SoftmaxCrossEntropyLoss',
    config: {},
    // 7 is out of range: pick clips it to the last class.
    inputs: { pred: wave([3, 4]), label: { data: Float32Array.from([0, 3, 7]), shape: [3] }, sample_weight: wave([3]) },
  },
  {
    loss: 'CTCLoss',
    config: { layout: 'NTC' },
    inputs: {
      pred: wave([2, 6, 4]),
      label: { data: Int32Array.from([0, 1, -1, 2, 2, 1]), shape: [2, 3] },
      pred_lengths: { data: Int32Array.from([6, 5]), shape: [2] },
    },
  },
  {
    loss: 'SDMLLoss',
    config: { smoothing_parameter: 0.2 },
    inputs: { x1: wave([3, 2]), x2: tensor([3, 2], (i) => Math.cos(i)) },
  },
  {
    loss: 'KLDivLoss',
    config: { from_logits: false, axis: 0 },
    inputs: { pred: wave([2, 3]), label: tensor([2, 3], (i) => (i + 1) / 21) },
  },
];

function headGradFor(loss: string, config: Record<string, unknown>, inputs: LossInputs): Tensor<Float32Array> {
  const shape = [...planCall(loss, parseConfig(loss, config), inputs).outputShape];
  return tensor(shape, (i) => 1 - 0.25 * i);
}

describe.each(['cpu', 'wasm'] as const)('tfjs-%s', (variant) => {
  const backend = createTfjsBackend(variant);

  it.each(CASES)(`keeps no tensor after ${CALLS} calls of $loss`, async ({ loss, config, inputs }) => {
    expect(await backend.probe()).toEqual({ available: true });
    const beforeCompile = tf.memory().numTensors;
    const compiled = await backend.compile(loss, config);
    const headGrad = headGradFor(loss, config, inputs);
    const first = await compiled.forwardBackward(inputs, headGrad);
    expect(Object.keys(first.grads).length).toBeGreaterThan(0);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < CALLS; i++) {
      await compiled.forwardBackward(inputs, headGrad);
      await compiled.forward(inputs);
    }
    expect(tf.memory().numTensors).toBe(afterFirst);
    compiled.dispose();
    expect(tf.memory().numTensors).toBe(beforeCompile);
  });
});
