/** The Backend object: which losses it has (all of them) and how each is compiled. */
import {
  assertSupported,
  canonicalLossName,
  type Availability,
  type Backend,
  type CanonicalLossName,
  type CompiledLoss,
  type Support,
} from '@gluon-loss/spec';
import { TS_BACKEND_NAME, type TsCompiledLoss } from './compiled-loss.js';
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

const COMPILED: Record<CanonicalLossName, new (config: unknown) => TsCompiledLoss> = {
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

const AVAILABLE: Availability = Object.freeze({ available: true });
const SUPPORTED: Support = Object.freeze({ supported: true });

export function createTsBackend(): Backend {
  const backend: Backend = {
    name: TS_BACKEND_NAME,
    environments: ['node', 'browser'],
    probe: () => Promise.resolve(AVAILABLE),
    // Every loss, every option: this backend is the reference implementation.
    supports: () => SUPPORTED,
    compile: async (loss: string, config?: unknown): Promise<CompiledLoss> => {
      const canonical = canonicalLossName(loss);
      // The constructor parses the config (ConfigError) before anything is allocated.
      const compiled = new COMPILED[canonical](config);
      assertSupported(backend, canonical, compiled.config);
      return compiled;
    },
  };
  return backend;
}
