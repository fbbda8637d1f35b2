import { BackendUnavailableError, currentEnvironment, type Availability, type Backend } from '@gluon-loss/spec';

/** A backend that could not even be loaded, reported as unavailable with the reason. */
export function unavailableBackend(name: string, reason: string): Backend {
  const availability: Availability = { available: false, reason };
  return {
    name,
    environments: [currentEnvironment()],
    probe: async () => availability,
    supports: () => ({ supported: false, reason }),
    compile: async () => {
      throw new BackendUnavailableError(name, reason);
    },
  };
}
