/**
 * The tfjs functions reject what the spec rejects, with the spec's typed errors, before
 * any op runs (no tensor made); the reduction option; the Layers adapter.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DisposedError,
  DtypeError,
  InputError,
  ShapeError,
  UnknownLossError,
  UnsupportedError,
} from '@gluon-loss/spec';
import { asLayersLoss, tfLoss } from '../src/index.js';
import { useBackend } from './app-backend.js';

await useBackend('cpu');

const pred = tf.tensor([0, 2, 1, 4], [2, 2]);
const label = tf.tensor([0, 1], [2]);

describe('tfLoss errors', () => {
  it('rejects an unknown loss, a bad config and a bad reduction', () => {
    // A misspelt literal fails to compile; a name known only at run time is checked there.
    // @ts-expect-error: not a loss of mxnet.gluon.loss
    expect(() => tfLoss('SoftMaxLoss')).toThrow(UnknownLossError);
    const fromUser: string = 'SoftMaxLoss';
    expect(() => tfLoss(fromUser)).toThrow(UnknownLossError);
    expect(() => tfLoss('HuberLoss', { rho: 'one' } as never)).toThrow(ConfigError);
    expect(() => tfLoss('L2Loss', {}, { reduction: 'avg' as never })).toThrow(
      /L2Loss: reduction: expected 'none', 'mean', 'sum'/,
    );
  });

  it('names the loss, the argument and what was expected, and makes no tensor', () => {
    const ce = tfLoss('SoftmaxCELoss');
    const before = tf.memory().numTensors;
    expect(() => ce(pred)).toThrow(InputError);
    expect(() => ce(pred, [0, 1] as never)).toThrow(
      /SoftmaxCrossEntropyLoss: label: expected a tf.Tensor, got a plain array/,
    );
    expect(() => ce(tf.cast(pred, 'bool'), label)).toThrow(DtypeError);
    expect(() => ce(pred, tf.tensor([0, 1, 1], [3]))).toThrow(ShapeError);
    expect(() => ce(pred, label, undefined, tf.tensor([1]))).toThrow(/at most 3 arguments/);
    expect(() => ce(pred, tf.tensor([0, 5], [2]))).not.toThrow(); // pick clips, as MXNet
    // the cast above and the four tensors given are the only tensors made
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 5);
    ce.dispose();
    expect(() => ce(pred, label)).toThrow(DisposedError);
  });

  it('reduces with mean and sum, or gives the per-sample loss', () => {
    const none = tfLoss('SoftmaxCELoss')(pred, label);
    const mean = tfLoss('SoftmaxCELoss', {}, { reduction: 'mean' })(pred, label);
    const sum = tfLoss('SoftmaxCELoss', {}, { reduction: 'sum' })(pred, label);
    expect(none.shape).toEqual([2]);
    expect(mean.shape).toEqual([]);
    const values = none.dataSync();
    expect(mean.dataSync()[0]).toBeCloseTo((values[0]! + values[1]!) / 2, 6);
    expect(sum.dataSync()[0]).toBeCloseTo(values[0]! + values[1]!, 6);
    tf.dispose([none, mean, sum]);
  });
});

describe('asLayersLoss', () => {
  it('takes (yTrue, yPred) and gives Layers the per-sample loss to average', () => {
    const ce = tfLoss('SoftmaxCELoss', { sparse_label: false, from_logits: false });
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ units: 3, inputShape: [4], kernelInitializer: 'ones' })],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: asLayersLoss(ce) });
    const x = tf.tensor(
      Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      [6, 4],
    );
    const y = tf.oneHot(tf.tensor([0, 1, 2, 0, 1, 2], [6], 'int32'), 3).toFloat();
    const reported = model.evaluate(x, y, { batchSize: 6 }) as tf.Scalar;
    const direct = tf.mean(ce(model.predict(x) as tf.Tensor, y));
    expect(reported.dataSync()[0]).toBeCloseTo(direct.dataSync()[0]!, 6);
    tf.dispose([reported, direct, x, y]);
    model.dispose();
  });

  it('trains a model with model.fit', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: asLayersLoss(tfLoss('HuberLoss')) });
    const x = tf.tensor([0, 1, 1, 0, 1, 1, 2, 0], [4, 2]);
    const y = tf.tensor([1, 1, 2, 2], [4, 1]);
    const history = await model.fit(x, y, { epochs: 20, batchSize: 4, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects a loss whose inputs are not (pred, label), and a reduced one', () => {
    expect(() => asLayersLoss(tfLoss('TripletLoss'))).toThrow(UnsupportedError);
    expect(() => asLayersLoss(tfLoss('CosineEmbeddingLoss'))).toThrow(/takes \(input1, input2, label, sample_weight\)/);
    expect(() => asLayersLoss(tfLoss('L1Loss', {}, { reduction: 'mean' }))).toThrow(UnsupportedError);
    expect(() => asLayersLoss(tfLoss('PoissonNLLLoss'))).not.toThrow();
  });
});
