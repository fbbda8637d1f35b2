/** The Backend object: which losses it has (all of them) and how each is compiled. */
import {
  assertSupported,
  canonicalLossName,
  type Availability,
  type Backend,
  type CompiledLoss,
  type Support,
} from '@gluon-loss/spec';
import { TS_BACKEND_NAME } from './compiled-loss.js';
import { LOSSES } from './loss-table.js';
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
      const compiled = new LOSSES[canonical](config);
      assertSupported(backend, canonical, compiled.config);
      return compiled;
    },
  };
  return backend;
}
