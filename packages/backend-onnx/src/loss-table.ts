/** The 14 losses of mxnet.gluon.loss 1.9.1, by canonical name, as ONNX graph builders. */
import type { CanonicalLossName } from '@gluon-loss/spec';
import type { UnweightedLossBuilder } from './loss-graph.js';
import { cosineEmbeddingLoss } from './losses/cosine-embedding.js';
import { ctcLoss } from './losses/ctc.js';
import { hingeLoss } from './losses/hinge.js';
import { huberLoss } from './losses/huber.js';
import { klDivLoss } from './losses/kl-div.js';
import { l1Loss } from './losses/l1.js';
import { l2Loss } from './losses/l2.js';
import { logisticLoss } from './losses/logistic.js';
import { poissonNllLoss } from './losses/poisson-nll.js';
import { sdmlLoss } from './losses/sdml.js';
import { sigmoidBceLoss } from './losses/sigmoid-bce.js';
import { softmaxCrossEntropyLoss } from './losses/softmax-cross-entropy.js';
import { squaredHingeLoss } from './losses/squared-hinge.js';
import { tripletLoss } from './losses/triplet.js';

/**
 * The unweighted-loss graph of each loss. Typed per loss, so a loss missing here fails
 * the type check, and each builder sees its own detail.
 */
export const LOSSES: { readonly [L in CanonicalLossName]: UnweightedLossBuilder<L> } = {
  L2Loss: l2Loss,
  L1Loss: l1Loss,
  SigmoidBinaryCrossEntropyLoss: sigmoidBceLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
  KLDivLoss: klDivLoss,
  CTCLoss: ctcLoss,
  HuberLoss: huberLoss,
  HingeLoss: hingeLoss,
  SquaredHingeLoss: squaredHingeLoss,
  LogisticLoss: logisticLoss,
  TripletLoss: tripletLoss,
  PoissonNLLLoss: poissonNllLoss,
  CosineEmbeddingLoss: cosineEmbeddingLoss,
  SDMLLoss: sdmlLoss,
};

/** The builder of one loss, typed by the plan's loss (also when that is any loss). */
export function lossGraphBuilder<L extends CanonicalLossName>(loss: L): UnweightedLossBuilder<L> {
  return LOSSES[loss];
}
