/**
 * The names of each loss's inputs, so that a call's inputs are checked at compile time
 * (`createLoss('L2Loss')` returns a loss whose `forward` takes `{ pred, label,
 * sample_weight? }`). The spec declares inputs per config at run time; this table is the
 * union over configs, and a test holds it to the spec's declarations for every golden
 * case's config.
 */
import type {
  Canonical,
  CanonicalLossName,
  FloatTensor,
  ForwardBackwardResult,
  ForwardResult,
  LossName,
  Tensor,
} from '@gluon-loss/spec';
import type { RoutedLoss } from './routed-loss.js';

const SAMPLE_WEIGHT = ['sample_weight'] as const;

export const LOSS_INPUT_NAMES = {
  L2Loss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  L1Loss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  SigmoidBinaryCrossEntropyLoss: { required: ['pred', 'label'], optional: ['sample_weight', 'pos_weight'] },
  SoftmaxCrossEntropyLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  KLDivLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  CTCLoss: { required: ['pred', 'label'], optional: ['pred_lengths', 'label_lengths', 'sample_weight'] },
  HuberLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  HingeLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  SquaredHingeLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  LogisticLoss: { required: ['pred', 'label'], optional: SAMPLE_WEIGHT },
  TripletLoss: { required: ['pred', 'positive', 'negative'], optional: [] },
  PoissonNLLLoss: { required: ['pred', 'target'], optional: ['sample_weight', 'epsilon'] },
  CosineEmbeddingLoss: { required: ['input1', 'input2', 'label'], optional: SAMPLE_WEIGHT },
  SDMLLoss: { required: ['x1', 'x2'], optional: [] },
} as const satisfies Record<
  CanonicalLossName,
  { readonly required: readonly string[]; readonly optional: readonly string[] }
>;

/** The call-time scalars (every other input is a tensor). */
type ScalarInput = 'epsilon';

type Names<N extends LossName> = (typeof LOSS_INPUT_NAMES)[Canonical<N>];

/** The inputs of loss `N`: its required tensors, and its optional tensors and scalars. */
export type InputsOf<N extends LossName> = {
  readonly [K in Names<N>['required'][number]]: Tensor;
} & {
  readonly [K in Names<N>['optional'][number]]?: K extends ScalarInput ? number : Tensor;
};

/** A routed loss whose calls take exactly the inputs of loss `N`. */
export interface TypedLoss<N extends LossName> extends RoutedLoss {
  forward(inputs: InputsOf<N>): Promise<ForwardResult>;
  forwardBackward(inputs: InputsOf<N>, headGrad: FloatTensor): Promise<ForwardBackwardResult>;
}

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

/**
 * What `createLoss` returns: typed inputs for one literal loss name; any inputs for a
 * run-time string or a union of names (their inputs differ; the spec checks them when called).
 */
export type LossOf<N extends string> = [N] extends [LossName]
  ? true extends IsUnion<N>
    ? RoutedLoss
    : TypedLoss<N>
  : RoutedLoss;
