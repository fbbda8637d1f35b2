/** The 14 losses of mxnet.gluon.loss 1.9.1, by canonical name, as fused SIMD kernels. */
import type { CanonicalLossName } from '@gluon-loss/spec';
import type { WasmCompiledLoss } from './compiled-loss.js';
import type { KernelHeap } from './kernels.js';
import { CosineEmbeddingLoss } from './losses/cosine-embedding.js';
import { CTCLoss } from './losses/ctc.js';
import { HingeLoss } from './losses/hinge.js';
import { HuberLoss } from './losses/huber.js';
import { KLDivLoss } from './losses/kl-div.js';
import { L1Loss } from './losses/l1.js';
import { L2Loss } from './losses/l2.js';
import { LogisticLoss } from './losses/logistic.js';
import { PoissonNLLLoss } from './losses/poisson-nll.js';
import { SDMLLoss } from './losses/sdml.js';
import { SigmoidBinaryCrossEntropyLoss } from './losses/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from './losses/softmax-cross-entropy.js';
import { SquaredHingeLoss } from './losses/squared-hinge.js';
import { TripletLoss } from './losses/triplet.js';

/**
 * Every loss, by canonical name: the class compiled for one config on one kernel heap.
 * Typed per loss, so a loss missing here fails the type check, and each class sees its
 * own config and detail.
 */
export const LOSSES: {
  readonly [L in CanonicalLossName]: new (config: unknown, heap: KernelHeap) => WasmCompiledLoss<L>;
} = {
  L2Loss,
  L1Loss,
  SigmoidBinaryCrossEntropyLoss,
  SoftmaxCrossEntropyLoss,
  KLDivLoss,
  CTCLoss,
  HuberLoss,
  HingeLoss,
  SquaredHingeLoss,
  LogisticLoss,
  TripletLoss,
  PoissonNLLLoss,
  CosineEmbeddingLoss,
  SDMLLoss,
};
