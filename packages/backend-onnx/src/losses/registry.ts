/** The unweighted-loss graph of each of the 14 losses, by canonical name. */
import type { CanonicalLossName } from '@gluon-loss/spec';
import type { UnweightedLossBuilder } from '../loss-graph.js';
import { cosineEmbeddingLoss } from './cosine-embedding.js';
import { ctcLoss } from './ctc.js';
import { hingeLoss } from './hinge.js';
import { huberLoss } from './huber.js';
import { klDivLoss } from './kl-div.js';
import { l1Loss } from './l1.js';
import { l2Loss } from './l2.js';
import { logisticLoss } from './logistic.js';
import { poissonNllLoss } from './poisson-nll.js';
import { sdmlLoss } from './sdml.js';
import { sigmoidBceLoss } from './sigmoid-bce.js';
import { softmaxCrossEntropyLoss } from './softmax-cross-entropy.js';
import { squaredHingeLoss } from './squared-hinge.js';
import { tripletLoss } from './triplet.js';

export const LOSS_GRAPHS: Readonly<Record<CanonicalLossName, UnweightedLossBuilder>> = {
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
