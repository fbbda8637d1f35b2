/**
 * Training goldens (conformance/golden/training/*.json, written by
 * conformance/generator/training.py): a small Gluon model trained by MXNet 1.9.1 with
 * plain SGD from fixed data and weights, and the batch-mean loss before the first step
 * and after each step. A replay starts from the same weights and must follow the curve.
 */
import type { Tensor } from '@gluon-loss/spec';
import { GoldenFormatError, decodeInputTensor } from './decode.js';
import type { GoldenTensorJson } from './format.js';

export const TRAINING_FORMAT = 'gluon-loss-training';
export const TRAINING_FORMAT_VERSION = 1;

/** A Gluon nn.Dense layer: `x @ weight.T + bias` over the last axis (flatten=false) or over all but the first (flatten=true). */
export interface DenseLayer {
  readonly kind: 'dense';
  readonly activation: 'tanh' | null;
  readonly flatten: boolean;
  readonly bias: boolean;
}

export interface TrainingParam {
  readonly name: 'weight' | 'bias';
  /** The index of its layer. */
  readonly layer: number;
  /** MXNet's layout: a weight is (units, in_units). */
  readonly data: Tensor<Float32Array>;
}

export interface TrainingRun {
  readonly name: string;
  readonly description: string;
  readonly loss: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly learningRate: number;
  readonly steps: number;
  readonly layers: readonly DenseLayer[];
  readonly initialParams: readonly TrainingParam[];
  /** The model's inputs: `x`, and for a metric-learning run also `positive` and `negative` (embedded by the same model). */
  readonly inputs: Readonly<Record<string, Tensor<Float32Array>>>;
  /** The loss's other inputs (a label), given as they are. */
  readonly targets: Readonly<Record<string, Tensor>>;
  /** steps + 1 values: before any step, then after each. */
  readonly losses: Float32Array;
}

interface TrainingFileJson {
  readonly format: string;
  readonly formatVersion: number;
  readonly name: string;
  readonly description: string;
  readonly loss: string;
  readonly config: Record<string, unknown>;
  readonly optimizer: {
    readonly kind: string;
    readonly learningRate: number;
    readonly momentum: number;
    readonly wd: number;
  };
  readonly steps: number;
  readonly layers: readonly { kind: string; activation: string | null; flatten: boolean; bias?: boolean }[];
  readonly initialParams: readonly { name: string; layer: number; data: GoldenTensorJson }[];
  readonly inputs: Record<string, GoldenTensorJson>;
  readonly targets: Record<string, GoldenTensorJson>;
  readonly losses: GoldenTensorJson;
}

export function decodeTrainingFile(json: unknown, source = 'training golden'): TrainingRun {
  const f = json as TrainingFileJson;
  if (f?.format !== TRAINING_FORMAT) throw new GoldenFormatError(`${source}: not a ${TRAINING_FORMAT} file`);
  if (f.formatVersion !== TRAINING_FORMAT_VERSION) {
    throw new GoldenFormatError(
      `${source}: format version ${f.formatVersion}, this reader knows ${TRAINING_FORMAT_VERSION}`,
    );
  }
  if (f.optimizer.kind !== 'sgd' || f.optimizer.momentum !== 0 || f.optimizer.wd !== 0) {
    throw new GoldenFormatError(`${source}: only plain SGD runs are known`);
  }
  const floats = (t: GoldenTensorJson, where: string) => {
    const d = decodeInputTensor(t, where);
    if (!(d.data instanceof Float32Array)) throw new GoldenFormatError(`${where}: expected float32`);
    return d as Tensor<Float32Array>;
  };
  const layers = f.layers.map((l, i): DenseLayer => {
    if (l.kind !== 'dense' || (l.activation !== null && l.activation !== 'tanh')) {
      throw new GoldenFormatError(`${source}: layer ${i}: only dense layers with tanh or no activation are known`);
    }
    return { kind: 'dense', activation: l.activation, flatten: l.flatten, bias: l.bias ?? true };
  });
  const losses = floats(f.losses, `${source} losses`).data;
  if (losses.length !== f.steps + 1)
    throw new GoldenFormatError(`${source}: ${losses.length} losses for ${f.steps} steps`);
  return {
    name: f.name,
    description: f.description,
    loss: f.loss,
    config: f.config,
    learningRate: f.optimizer.learningRate,
    steps: f.steps,
    layers,
    initialParams: f.initialParams.map((p) => {
      if (p.name !== 'weight' && p.name !== 'bias') throw new GoldenFormatError(`${source}: parameter ${p.name}`);
      return { name: p.name, layer: p.layer, data: floats(p.data, `${source} ${p.name}`) };
    }),
    inputs: Object.fromEntries(Object.entries(f.inputs).map(([k, v]) => [k, floats(v, `${source} ${k}`)])),
    targets: Object.fromEntries(Object.entries(f.targets).map(([k, v]) => [k, decodeInputTensor(v, `${source} ${k}`)])),
    losses,
  };
}
