/** The Backend object: which losses it has and how each is compiled. */
import {
  assertSupported,
  canonicalLossName,
  type Availability,
  type Backend,
  type CanonicalLossName,
  type CompiledLoss,
  type Support,
} from '@gluon-loss/spec';
import type { WasmCompiledLoss } from './compiled-loss.js';
import { KernelHeap, kernelModule, WASM_BACKEND_NAME } from './kernels.js';
import { HingeLoss } from './losses/hinge.js';
import { HuberLoss } from './losses/huber.js';
import { L1Loss } from './losses/l1.js';
import { L2Loss } from './losses/l2.js';
import { LogisticLoss } from './losses/logistic.js';
import { PoissonNLLLoss } from './losses/poisson-nll.js';
import { SquaredHingeLoss } from './losses/squared-hinge.js';
import { CTCLoss } from './losses/ctc.js';
import { CosineEmbeddingLoss } from './losses/cosine-embedding.js';
import { KLDivLoss } from './losses/kl-div.js';
import { SDMLLoss } from './losses/sdml.js';
import { SigmoidBinaryCrossEntropyLoss } from './losses/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from './losses/softmax-cross-entropy.js';
import { TripletLoss } from './losses/triplet.js';

type Constructor = new (config: unknown, heap: KernelHeap) => WasmCompiledLoss;

const COMPILED: Record<CanonicalLossName, Constructor> = {
  L2Loss,
  L1Loss,
  HuberLoss,
  HingeLoss,
  SquaredHingeLoss,
  LogisticLoss,
  PoissonNLLLoss,
  SigmoidBinaryCrossEntropyLoss,
  SoftmaxCrossEntropyLoss,
  KLDivLoss,
  TripletLoss,
  CosineEmbeddingLoss,
  SDMLLoss,
  CTCLoss,
};

const SUPPORTED: Support = Object.freeze({ supported: true });

export function createWasmBackend(): Backend {
  let heap: KernelHeap | undefined;
  let availability: Promise<Availability> | undefined;
  const backend: Backend = {
    name: WASM_BACKEND_NAME,
    environments: ['node', 'browser'],
    probe: () =>
      (availability ??= kernelModule().then(
        (): Availability => ({ available: true }),
        (e: unknown): Availability => ({ available: false, reason: (e as Error).message }),
      )),
    // Every loss, every option.
    supports: () => SUPPORTED,
    compile: async (loss: string, config?: unknown): Promise<CompiledLoss> => {
      const canonical = canonicalLossName(loss);
      heap ??= new KernelHeap(await kernelModule());
      // The constructor parses the config (ConfigError) before anything is allocated.
      const compiled = new COMPILED[canonical](config, heap);
      assertSupported(backend, canonical, compiled.config);
      return compiled;
    },
    dispose: async () => {
      heap?.release();
    },
  };
  return backend;
}
