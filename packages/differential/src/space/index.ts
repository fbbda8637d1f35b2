/** Every loss's case space, in one table the type system holds complete. */
import type { CanonicalLossName } from '@gluon-loss/spec';
import type { LossSpace } from '../case.js';
import { COSINE_SPACE } from './cosine-embedding.js';
import { CTC_SPACE } from './ctc.js';
import { HINGE_SPACE, HUBER_SPACE, L1_SPACE, L2_SPACE, LOGISTIC_SPACE, SQUARED_HINGE_SPACE } from './elementwise.js';
import { KL_DIV_SPACE } from './kl-div.js';
import { POISSON_NLL_SPACE } from './poisson-nll.js';
import { SDML_SPACE } from './sdml.js';
import { SIGMOID_BCE_SPACE } from './sigmoid-bce.js';
import { SOFTMAX_CE_SPACE } from './softmax-cross-entropy.js';
import { TRIPLET_SPACE } from './triplet.js';

export const SPACES: { readonly [L in CanonicalLossName]: LossSpace } = {
  L2Loss: L2_SPACE,
  L1Loss: L1_SPACE,
  SigmoidBinaryCrossEntropyLoss: SIGMOID_BCE_SPACE,
  SoftmaxCrossEntropyLoss: SOFTMAX_CE_SPACE,
  KLDivLoss: KL_DIV_SPACE,
  CTCLoss: CTC_SPACE,
  HuberLoss: HUBER_SPACE,
  HingeLoss: HINGE_SPACE,
  SquaredHingeLoss: SQUARED_HINGE_SPACE,
  LogisticLoss: LOGISTIC_SPACE,
  TripletLoss: TRIPLET_SPACE,
  PoissonNLLLoss: POISSON_NLL_SPACE,
  CosineEmbeddingLoss: COSINE_SPACE,
  SDMLLoss: SDML_SPACE,
};
