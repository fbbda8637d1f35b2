import type { Environment } from './backend.js';

/** 'node' under Node.js (tests, CLI), 'browser' in a page or worker. */
export function currentEnvironment(): Environment {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string' ? 'node' : 'browser';
}
