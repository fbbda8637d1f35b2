/**
 * What the conformance suite cannot see: a compiled loss reuses its scratch buffers from
 * call to call, so a result must never alias them (a result of call 1 is unchanged after
 * call 2), a later call must not read what an earlier one left behind (a reused compiled
 * loss gives what a fresh one gives, after growing and after shrinking), and a disposed
 * loss refuses to run. One case per way this backend fills and returns buffers.
 */
import { describe, expect, it } from 'vitest';
import { DisposedError, sizeOf, type FloatTensor, type LossInputs, type Tensor } from '@gluon-loss/spec';
import tsBackend from '../src/index.js';

function tensor(shape: number[], value: (i: number) => number): Tensor<Float32Array> {
  return { data: Float32Array.from({ length: sizeOf(shape) }, (_, i) => value(i)), shape };
}
const wave = (shape: number[], phase = 0) => tensor(shape, (i) => Math.sin(1.7 * i + phase));
const positive = (shape: number[], phase = 0) => tensor(shape, (i) => 1.2 + Math.sin(0.9 * i + phase));
const signs = (shape: number[]) => tensor(shape, (i) => (i % 3 === 0 ? -1 : 1));

interface Case {
  readonly name: string;
  readonly loss: string;
  readonly config: Record<string, unknown>;
  /** Inputs for a batch of `n`, `phase` changing every value. */
  readonly inputs: (n: number, phase: number) => LossInputs;
}

const CASES: Case[] = [
  {
    name: 'L2, fused',
    loss: 'L2Loss',
    config: {},
    inputs: (n, p) => ({ pred: wave([n, 5], p), label: wave([n, 5], p + 1) }),
  },
  {
    name: 'L2, sample_weight of the loss shape (its gradient buffer is returned)',
    loss: 'L2Loss',
    config: {},
    inputs: (n, p) => ({ pred: wave([n, 5], p), label: wave([n, 5], p + 1), sample_weight: positive([n, 5], p) }),
  },
  {
    name: 'Huber, sample_weight broadcast per sample (materialised, summed back)',
    loss: 'HuberLoss',
    config: { batch_axis: 1 },
    inputs: (n, p) => ({
      pred: wave([3, n, 2], p),
      label: wave([3, n, 2], p + 2),
      sample_weight: positive([1, n, 1], p),
    }),
  },
  {
    name: 'PoissonNLL, sample_weight enlarging the loss (per-element weighting)',
    loss: 'PoissonNLLLoss',
    config: { from_logits: false },
    inputs: (n, p) => ({
      pred: positive([n, 3], p),
      target: positive([n, 3], p + 1),
      sample_weight: positive([2, n, 1], p),
    }),
  },
  {
    name: 'SigmoidBCE, pos_weight enlarging the loss',
    loss: 'SigmoidBCELoss',
    config: {},
    inputs: (n, p) => ({ pred: wave([n, 3], p), label: positive([n, 3], p), pos_weight: positive([2, 1, 3], p) }),
  },
  {
    name: 'KLDiv, log_softmax and a broadcast label',
    loss: 'KLDivLoss',
    config: { from_logits: false, axis: 1 },
    inputs: (n, p) => ({ pred: wave([n, 4], p), label: positive([2, n, 4], p) }),
  },
  {
    name: 'SoftmaxCE, sample_weight (N,) giving (N, N)',
    loss: 'SoftmaxCELoss',
    config: {},
    inputs: (n, p) => ({
      pred: wave([n, 4], p),
      label: tensor([n], (i) => (i + Math.round(p)) % 6),
      sample_weight: positive([n], p),
    }),
  },
  {
    name: 'CTC, lengths and padding',
    loss: 'CTCLoss',
    config: {},
    inputs: (n, p) => ({
      pred: wave([n, 6, 4], p),
      label: {
        data: Int32Array.from({ length: n * 3 }, (_, i) => (i % 3 === 2 ? -1 : (i + Math.round(p)) % 3)),
        shape: [n, 3],
      },
      pred_lengths: { data: Int32Array.from({ length: n }, (_, i) => 6 - (i % 2)), shape: [n] },
    }),
  },
  {
    name: 'CosineEmbedding, sample_weight',
    loss: 'CosineEmbeddingLoss',
    config: { margin: 0.1 },
    inputs: (n, p) => ({
      input1: wave([n, 4], p),
      input2: wave([n, 4], p + 3),
      label: signs([n]),
      sample_weight: positive([n, 1], p),
    }),
  },
  {
    name: 'Triplet',
    loss: 'TripletLoss',
    config: {},
    inputs: (n, p) => ({ pred: wave([n, 3], p), positive: wave([n, 3], p + 1), negative: wave([n, 3], p + 2) }),
  },
  {
    name: 'SDML',
    loss: 'SDMLLoss',
    config: {},
    inputs: (n, p) => ({ x1: wave([n, 3], p), x2: wave([n, 3], p + 0.5) }),
  },
];

const head = (shape: readonly number[], phase: number): FloatTensor =>
  tensor([...shape], (i) => 0.5 + Math.cos(i + phase));

function outputShapeOf(loss: string, config: Record<string, unknown>, inputs: LossInputs): Promise<readonly number[]> {
  return tsBackend.compile(loss, config).then(async (c) => (await c.forward(inputs)).loss.shape);
}

interface Snapshot {
  loss: number[];
  grads: Record<string, number[]>;
}

function snapshot(result: { loss: FloatTensor; grads?: Readonly<Record<string, FloatTensor>> }): Snapshot {
  const grads: Record<string, number[]> = {};
  for (const [name, g] of Object.entries(result.grads ?? {})) grads[name] = Array.from(g.data);
  return { loss: Array.from(result.loss.data), grads };
}

describe('a compiled loss reused across calls', () => {
  for (const c of CASES) {
    it(`${c.name}: results are not overwritten, and reuse matches a fresh compile`, async () => {
      const small = c.inputs(2, 0);
      const large = c.inputs(5, 1.3);
      const smallHead = head(await outputShapeOf(c.loss, c.config, small), 0);
      const largeHead = head(await outputShapeOf(c.loss, c.config, large), 1);

      const reused = await tsBackend.compile(c.loss, c.config);
      const first = await reused.forwardBackward(small, smallHead);
      const firstForward = await reused.forward(small);
      const kept = snapshot(first);
      const keptForward = snapshot(firstForward);

      // A larger call grows the scratch buffers, then a smaller one reuses them.
      const second = await reused.forwardBackward(large, largeHead);
      const third = await reused.forwardBackward(small, smallHead);

      expect(snapshot(first)).toEqual(kept);
      expect(snapshot(firstForward)).toEqual(keptForward);
      expect(Object.keys(kept.grads).length).toBeGreaterThan(0);

      const fresh = await tsBackend.compile(c.loss, c.config);
      expect(snapshot(second)).toEqual(snapshot(await fresh.forwardBackward(large, largeHead)));
      expect(snapshot(third)).toEqual(kept);
      reused.dispose();
      fresh.dispose();
    });
  }
});

describe('dispose', () => {
  it('makes later calls reject with DisposedError, and can be called twice', async () => {
    const compiled = await tsBackend.compile('L2Loss');
    const inputs = { pred: wave([2, 3]), label: wave([2, 3], 1) };
    await compiled.forward(inputs);
    compiled.dispose();
    compiled.dispose();
    await expect(compiled.forward(inputs)).rejects.toBeInstanceOf(DisposedError);
    await expect(compiled.forwardBackward(inputs, head([2], 0))).rejects.toBeInstanceOf(DisposedError);
  });
});
