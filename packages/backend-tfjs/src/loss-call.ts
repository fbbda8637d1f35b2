/**
 * What a loss file sees of one call: its inputs as tfjs tensors, read in the shape MXNet
 * reads them (`CallPlan.views`), and a place for constants that outlive the call.
 */
import * as tf from '@tensorflow/tfjs';
import { sameShape, type CallPlan, type CanonicalLossName, type LossDetail, type TypedData } from '@gluon-loss/spec';

/**
 * A loss computes its *unweighted* loss tensor (shape `plan.lossShape`) from the call;
 * sample_weight, the scalar weight and the reduction are applied by `loss-rules.ts`.
 * Gradients come from tfjs's autodiff through whatever the loss builds.
 */
export type TfjsLoss<L extends CanonicalLossName = CanonicalLossName> = (call: LossCall<L>) => tf.Tensor;

/**
 * Tensors kept by a compiled loss between calls (MXNet's hybridized block keeps its
 * graph; we keep constants that depend only on config and shapes). They live until the
 * compiled loss is disposed; `trim` drops them all between calls once more than `limit`
 * keys pile up (never during a call, which may still hold them).
 */
export class ConstantCache {
  readonly #tensors = new Map<string, tf.Tensor>();

  constructor(private readonly limit = 16) {}

  get(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.#tensors.get(key);
    if (t === undefined) {
      t = tf.keep(make());
      this.#tensors.set(key, t);
    }
    return t;
  }

  /** Call between calls only. */
  trim(): void {
    if (this.#tensors.size > this.limit) this.clear();
  }

  clear(): void {
    for (const t of this.#tensors.values()) t.dispose();
    this.#tensors.clear();
  }
}

export class LossCall<L extends CanonicalLossName = CanonicalLossName> {
  readonly #constants = new Map<string, tf.Tensor>();

  constructor(
    readonly plan: CallPlan<L>,
    /** The tensors autodiff differentiates, by input name, in each input's own shape. */
    private readonly tracked: ReadonlyMap<string, tf.Tensor>,
    private readonly cache: ConstantCache,
  ) {}

  get detail(): LossDetail<L> {
    return this.plan.detail;
  }

  has(name: string): boolean {
    return this.plan.tensors[name] !== undefined;
  }

  /** The input as the loss reads it: float32, its view shape, on the autodiff tape when differentiated. */
  input(name: string): tf.Tensor {
    const t = this.tracked.get(name);
    if (t === undefined) return this.constant(name);
    const view = this.view(name);
    return sameShape(t.shape, view) ? t : tf.reshape(t, [...view]);
  }

  /**
   * The same values off the autodiff tape, for the comparisons masks are made of: MXNet
   * gives comparisons a zero gradient, tfjs registers none for Greater or Equal and
   * refuses to differentiate through them.
   */
  constant(name: string): tf.Tensor {
    let t = this.#constants.get(name);
    if (t === undefined) {
      t = tf.tensor(asFloat32(this.data(name)), [...this.view(name)], 'float32');
      this.#constants.set(name, t);
    }
    return t;
  }

  /** The input's values in JS, for what a loss prepares outside tfjs (picked classes, CTC alignments). */
  data(name: string): TypedData {
    const t = this.plan.tensors[name];
    if (t === undefined) throw new Error(`${this.plan.loss}: input ${name} was not given`);
    return t.data;
  }

  /** A constant kept across calls under `key` (which must name everything it depends on). */
  cached(key: string, make: () => tf.Tensor): tf.Tensor {
    return this.cache.get(key, make);
  }

  private view(name: string): readonly number[] {
    const shape = this.plan.views[name];
    if (shape === undefined) throw new Error(`${this.plan.loss}: input ${name} was not given`);
    return shape;
  }
}

/** MXNet takes labels and lengths as float32; an Int32Array input is read as such. */
export function asFloat32(data: TypedData): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}
