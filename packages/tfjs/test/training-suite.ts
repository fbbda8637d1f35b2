/**
 * Training with the losses as an application would, on the tfjs backend a test file
 * picks: the float tensors are never read back during `optimizer.minimize` (a spy on the
 * backend's `read`/`readSync`), integer inputs are read once each, 1,000 training steps
 * leave `tf.memory().numTensors` where the first left it, and the active backend never
 * changes. Models are tiny and data are fixed, so each step is cheap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tfLoss, type TfLossFunction } from '../src/index.js';
import type { AppBackend } from './app-backend.js';

const STEPS = 1000;

/** A deterministic wave of values, so nothing depends on a random generator. */
function wave(shape: number[], phase = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, (_, i) => Math.sin(1.3 * i + phase)),
    shape,
  );
}

interface Setup {
  readonly title: string;
  readonly loss: TfLossFunction;
  /** The call inside `minimize`, from the model's output. */
  readonly call: (out: tf.Tensor) => tf.Tensor;
  /** Model output shape: x (batch, 4) times w (4, outputs), reshaped. */
  readonly outShape: number[];
  /** Tensors that the call may read back (its integer inputs). */
  readonly readable: tf.Tensor[];
  readonly others: tf.Tensor[];
}

function setups(): Setup[] {
  const out: Setup[] = [];
  {
    const label = tf.tensor([0, 2, 1, 2, 0, 1], [6], 'int32');
    const loss = tfLoss('SoftmaxCELoss', {}, { reduction: 'mean' });
    out.push({
      title: 'SoftmaxCELoss (sparse int32 label)',
      loss,
      call: (p) => loss(p, label),
      outShape: [6, 3],
      readable: [label],
      others: [],
    });
  }
  {
    const label = wave([6, 3], 0.5);
    const loss = tfLoss('L2Loss', {}, { reduction: 'mean' });
    out.push({ title: 'L2Loss', loss, call: (p) => loss(p, label), outShape: [6, 3], readable: [], others: [label] });
  }
  {
    const label = wave([6, 3], 0.5);
    const weight = wave([6, 1], 2);
    const loss = tfLoss('HuberLoss', { rho: 0.5 }, { reduction: 'sum' });
    out.push({
      title: 'HuberLoss (mask from pred, sample_weight)',
      loss,
      call: (p) => loss(p, label, weight),
      outShape: [6, 3],
      readable: [],
      others: [label, weight],
    });
  }
  {
    const label = tf.tensor([0, 1, -1, 1, 0, -1], [2, 3], 'int32');
    const lengths = tf.tensor([3, 3], [2], 'int32');
    const loss = tfLoss('CTCLoss', {}, { reduction: 'mean' });
    out.push({
      title: 'CTCLoss (labels and pred_lengths)',
      loss,
      call: (p) => loss(p, label, lengths),
      outShape: [2, 3, 3],
      readable: [label, lengths],
      others: [],
    });
  }
  {
    const positive = wave([6, 3], 1);
    const loss = tfLoss('SDMLLoss', { smoothing_parameter: 0.2 }, { reduction: 'mean' });
    out.push({
      title: 'SDMLLoss (constants kept between calls)',
      loss,
      call: (p) => loss(p, positive),
      outShape: [6, 3],
      readable: [],
      others: [positive],
    });
  }
  return out;
}

/** Call after the application's backend is active (tensors are made while collecting). */
export function describeTraining(backend: AppBackend): void {
  describe(`training on tfjs-${backend}`, () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    for (const s of setups()) {
      describe(s.title, () => {
        const x = wave([6, 4], 0.1);
        const outputs = s.outShape.reduce((a, b) => a * b, 1) / 6;
        const w = tf.variable(tf.mul(wave([4, outputs], 0.7), 0.3));
        const optimizer = tf.train.sgd(0.05);
        const step = (): tf.Scalar =>
          optimizer.minimize(() => tf.sum(s.call(tf.reshape(tf.matMul(x, w), s.outShape))), true)!;

        it('reads back no float tensor during a minimize step, integer inputs once each', () => {
          step().dispose(); // warm: kernels compiled, constants cached
          const engine = tf.backend();
          // A kernel of tfjs-cpu or tfjs-wasm reading its own (host) memory, such as
          // gather's indices, is not a read-back: only the reads made outside any kernel
          // are ours.
          const state = (tf.engine() as unknown as { state: { kernelDepth: number } }).state;
          const ours: object[] = [];
          const readSync = engine.readSync.bind(engine);
          vi.spyOn(engine, 'readSync').mockImplementation((id) => {
            if (state.kernelDepth === 0) ours.push(id);
            return readSync(id);
          });
          const read = vi.spyOn(engine, 'read');
          step().dispose();
          expect(read).not.toHaveBeenCalled();
          const allowed = new Set<object>(s.readable.map((t) => t.dataId));
          expect(ours.every((id) => allowed.has(id))).toBe(true);
          expect(ours.length).toBe(s.readable.length);
        });

        it(`holds the tensor count and the backend over ${STEPS} steps`, () => {
          step().dispose();
          const tensors = tf.memory().numTensors;
          const first = step();
          const firstLoss = first.dataSync()[0]!;
          first.dispose();
          for (let i = 0; i < STEPS; i++) step().dispose();
          const last = step();
          const lastLoss = last.dataSync()[0]!;
          last.dispose();
          expect(tf.memory().numTensors).toBe(tensors);
          expect(tf.getBackend()).toBe(backend);
          expect(Number.isFinite(lastLoss)).toBe(true);
          expect(lastLoss).toBeLessThan(firstLoss); // it trained
        });

        it('leaves no tensor inside or outside tf.tidy, and frees its constants on dispose', () => {
          const pred = tf.reshape(tf.matMul(x, w), s.outShape);
          s.call(pred).dispose(); // constants cached
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            s.call(pred);
          });
          expect(tf.memory().numTensors).toBe(before);
          const out = s.call(pred);
          expect(tf.memory().numTensors).toBe(before + 1);
          out.dispose();
          s.loss.dispose();
          expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
          pred.dispose();
        });
      });
    }

    it('differentiates with tf.grad and tf.variableGrads', () => {
      const ce = tfLoss('SoftmaxCrossEntropyLoss', { sparse_label: false });
      const pred = wave([2, 3]);
      const label = tf.softmax(wave([2, 3], 1));
      const g = tf.grad((p: tf.Tensor) => ce(p, label))(pred);
      // d/dpred of -sum(label * log_softmax(pred)) = softmax(pred) * sum(label) - label
      const want = tf.sub(tf.softmax(pred), label);
      expect(Math.max(...tf.abs(tf.sub(g, want)).dataSync())).toBeLessThan(1e-6);
      const v = tf.variable(pred);
      const { value, grads } = tf.variableGrads(() => tf.sum(ce(v, label)) as tf.Scalar, [v]);
      expect(Math.max(...tf.abs(tf.sub(grads[v.name]!, want)).dataSync())).toBeLessThan(1e-6);
      expect(value.shape).toEqual([]);
      tf.dispose([g, want, v, value, grads[v.name]!, pred, label]);
    });
  });
}
