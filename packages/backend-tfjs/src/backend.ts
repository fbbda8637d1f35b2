/**
 * `createTfjsBackend(variant)`: gluon-loss on one of TensorFlow.js's backends. Each
 * variant is a Backend of its own (`tfjs-cpu`, `tfjs-wasm`, `tfjs-webgl`, `tfjs-webgpu`);
 * several may live in one process, taking turns on tfjs's global engine.
 */
import {
  BackendUnavailableError,
  assertSupported,
  canonicalLossName,
  parseConfig,
  type Availability,
  type Backend,
  type CompiledLoss,
} from '@gluon-loss/spec';
import { TfjsCompiledLoss } from './compiled-loss.js';
import {
  TFJS_VARIANTS,
  VARIANT_ENVIRONMENTS,
  initialiseVariant,
  type TfjsBackendOptions,
  type TfjsVariant,
} from './runtime.js';

export function createTfjsBackend(variant: TfjsVariant, options: TfjsBackendOptions = {}): Backend {
  if (!TFJS_VARIANTS.includes(variant)) {
    throw new TypeError(`unknown tfjs variant ${JSON.stringify(variant)}: expected one of ${TFJS_VARIANTS.join(', ')}`);
  }
  const name = `tfjs-${variant}`;
  let availability: Promise<Availability> | undefined;
  const backend: Backend = {
    name,
    environments: VARIANT_ENVIRONMENTS[variant],
    probe(): Promise<Availability> {
      availability ??= initialiseVariant(variant, options);
      return availability;
    },
    // Every loss and option is written with ops that every tfjs backend has, forward
    // and backward.
    supports: () => ({ supported: true }),
    async compile(loss: string, config?: unknown): Promise<CompiledLoss> {
      const canonical = canonicalLossName(loss);
      assertSupported(backend, canonical, parseConfig(canonical, config));
      const available = await backend.probe();
      if (!available.available) throw new BackendUnavailableError(name, available.reason);
      return new TfjsCompiledLoss(name, variant, canonical, config);
    },
  };
  return backend;
}
