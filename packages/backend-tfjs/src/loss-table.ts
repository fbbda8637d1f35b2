/** The 14 losses of mxnet.gluon.loss 1.9.1, by canonical name, as tfjs graphs. */
import type { CanonicalLossName } from '@gluon-loss/spec';
import type { TfjsLoss } from './loss-call.js';
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

/** Typed per loss, so a loss missing here fails the type check, and each graph sees its own detail. */
export const LOSSES: { readonly [L in CanonicalLossName]: TfjsLoss<L> } = {
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
