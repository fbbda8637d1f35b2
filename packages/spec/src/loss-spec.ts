/**
 * What one loss declares: its config schema, its forward inputs and its shape rule.
 * The Loss base-class semantics (sample_weight broadcast, scalar weight, reduction
 * over the non-batch axes) are not repeated here: each spec only says what its
 * *unweighted* loss tensor looks like and how MXNet reduces it; `plan.ts` applies the
 * shared rules.
 */
import type { z } from 'zod';
import type { ConfigSchema } from './config.js';
import type { Rng, SampleSize } from './sample.js';
import type { Dtype, FloatTensor, Shape, Tensor } from './tensor.js';

export type InputRole =
  /** A float32 tensor the loss is computed from (pred, positive, input1, ...). */
  | 'data'
  /** A label or target: float32, or int32 where it holds integers. */
  | 'label'
  /** sample_weight / pos_weight: float32, broadcast against the loss. */
  | 'weight'
  /** CTC's pred_lengths / label_lengths: integers, one per sample. */
  | 'lengths'
  /** A call-time number (PoissonNLLLoss's epsilon). */
  | 'scalar';

export interface InputSpec {
  readonly name: string;
  readonly role: InputRole;
  readonly optional: boolean;
  /** MXNet's autograd gives it a gradient (a backend must return it). */
  readonly differentiable: boolean;
  /** Holds integer values (class indices, lengths). */
  readonly integer: boolean;
  /** The typed arrays accepted; empty for scalars. */
  readonly dtypes: readonly Dtype[];
  /** The default of a scalar input. */
  readonly defaultValue?: number;
  readonly description: string;
}

/** How MXNet reduces the weighted loss. */
export type ReductionKind =
  /** `F.mean(loss, axis=batch_axis, exclude=True)`: output `(shape[batch_axis],)`. */
  | 'mean'
  /** `F.sum(loss, axis=batch_axis, exclude=True)` (KLDivLoss in 1.9.x). */
  | 'sum'
  /** `F.mean(loss)` over every element: output `(1,)` (PoissonNLLLoss). */
  | 'mean-all'
  /** The weighted loss is returned as it is (CTC, Cosine, Triplet, SDML). */
  | 'none';

/**
 * Facts a loss's backends need that follow from config and shapes (normalised axes,
 * sizes): plain values, so a plan can be logged and compared.
 */
export type LossDetailBase = Readonly<Record<string, number | boolean | string>>;

/**
 * A loss's own shape rule, before the shared weighting rules are applied. `D` is the
 * loss's own detail type, inferred by `defineLoss` from what its `shape` returns.
 */
export interface LossShape<D extends LossDetailBase = LossDetailBase> {
  /**
   * The shape each input is read as when MXNet reshapes it (`_reshape_like(label, pred)`
   * and friends). Inputs not listed are read with their own shape.
   */
  readonly views: Readonly<Record<string, Shape>>;
  /** Shape of the loss tensor right before `_apply_weighting`. */
  readonly lossShape: Shape;
  readonly reduction: ReductionKind;
  /** The scalar weight MXNet multiplies by (L2Loss's is `weight / 2`; SDML's is never applied). */
  readonly appliedWeight: number | null;
  /** Facts the backends need that follow from config and shapes (normalised axes, sizes). */
  readonly detail: Readonly<D>;
}

export interface LossSpec<S extends ConfigSchema = ConfigSchema, D extends LossDetailBase = LossDetailBase> {
  readonly name: string;
  readonly aliases: readonly string[];
  /** One line, from MXNet's docs. */
  readonly summary: string;
  readonly config: S;
  /** The inputs of a forward call, in MXNet's positional order. */
  inputs(config: z.output<S>): readonly InputSpec[];
  /** Checks the shapes against each other and derives the loss tensor's shape; throws ShapeError. */
  shape(config: z.output<S>, shapes: Readonly<Record<string, Shape>>): LossShape<D>;
  /**
   * Checks the values that MXNet would read out of bounds (it crashes or returns garbage
   * there, so the spec rejects them); throws InputError. Runs after `shape`.
   */
  checkValues?(config: z.output<S>, inputs: Readonly<Record<string, Tensor>>, shape: LossShape<D>): void;
  /**
   * Valid inputs for the default config, in MXNet's positional order, drawn from `rng`
   * (sample.ts): about `size` elements in the main input, or that input's given shape.
   * The router's choices, the bench and the tests take their inputs from here.
   */
  sampleInputs(size: SampleSize, rng: Rng): Readonly<Record<string, FloatTensor>>;
}

/**
 * Declares a loss. Generic in its config schema and its detail type, both inferred, so
 * that `LossConfig<L>` and `LossDetail<L>` (registry.ts) reach every backend typed.
 */
export function defineLoss<S extends ConfigSchema, D extends LossDetailBase>(spec: LossSpec<S, D>): LossSpec<S, D> {
  return spec;
}

const FLOAT: readonly Dtype[] = ['float32'];
const FLOAT_OR_INT: readonly Dtype[] = ['float32', 'int32'];

/** Input declarations shared by many losses. */
export const input = {
  data(name: string, description: string): InputSpec {
    return { name, role: 'data', optional: false, differentiable: true, integer: false, dtypes: FLOAT, description };
  },
  /** A float-valued label that MXNet differentiates. */
  label(name: string, description: string): InputSpec {
    return {
      name,
      role: 'label',
      optional: false,
      differentiable: true,
      integer: false,
      dtypes: FLOAT_OR_INT,
      description,
    };
  },
  /** An integer-valued label: MXNet gives it no useful gradient. */
  indexLabel(name: string, description: string): InputSpec {
    return {
      name,
      role: 'label',
      optional: false,
      differentiable: false,
      integer: true,
      dtypes: FLOAT_OR_INT,
      description,
    };
  },
  /** A label only compared with constants (its gradient is identically zero). */
  comparedLabel(name: string, description: string): InputSpec {
    return {
      name,
      role: 'label',
      optional: false,
      differentiable: false,
      integer: false,
      dtypes: FLOAT_OR_INT,
      description,
    };
  },
  sampleWeight(description = 'Element-wise weighting tensor, broadcast against the loss.'): InputSpec {
    return {
      name: 'sample_weight',
      role: 'weight',
      optional: true,
      differentiable: true,
      integer: false,
      dtypes: FLOAT,
      description,
    };
  },
  weight(name: string, description: string): InputSpec {
    return { name, role: 'weight', optional: true, differentiable: true, integer: false, dtypes: FLOAT, description };
  },
  lengths(name: string, description: string): InputSpec {
    return {
      name,
      role: 'lengths',
      optional: true,
      differentiable: false,
      integer: true,
      dtypes: FLOAT_OR_INT,
      description,
    };
  },
  scalar(name: string, defaultValue: number, description: string): InputSpec {
    return {
      name,
      role: 'scalar',
      optional: true,
      differentiable: false,
      integer: false,
      dtypes: [],
      defaultValue,
      description,
    };
  },
} as const;
