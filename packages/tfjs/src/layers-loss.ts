/**
 * `asLayersLoss(fn)`: a loss for the Layers API, `model.compile({ optimizer, loss })`.
 * Layers calls a loss as `(yTrue, yPred)` and averages what it returns over the batch
 * (after applying `fit`'s sample weights per sample), so the adapter returns MXNet's
 * per-sample loss of `(pred = yPred, label = yTrue)` and Layers turns it into the mean.
 * Only the losses whose inputs start with a prediction and its label fit that shape.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { UnsupportedError } from '@gluon-loss/spec';
import type { TfLossFunction } from './tf-loss.js';

/** The second input of each loss that Layers can call: (pred, label) or (pred, target). */
const LABEL_INPUTS = ['label', 'target'];

export type LayersLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export function asLayersLoss(fn: TfLossFunction): LayersLoss {
  const [first, second] = fn.inputNames;
  if (first !== 'pred' || second === undefined || !LABEL_INPUTS.includes(second)) {
    throw new UnsupportedError(
      'tfjs-layers',
      fn.loss,
      `asLayersLoss takes a loss of (pred, label); ${fn.loss} takes (${fn.inputNames.join(', ')})`,
    );
  }
  if (fn.reduction !== 'none') {
    throw new UnsupportedError(
      'tfjs-layers',
      fn.loss,
      `asLayersLoss needs the per-sample loss (reduction 'none'); Layers averages it over the batch itself, this one has reduction '${fn.reduction}'`,
    );
  }
  return (yTrue, yPred) => fn(yPred, yTrue);
}
