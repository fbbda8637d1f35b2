/** Node-side helpers of the runner: backends named on a command line, and golden folders. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { conformanceBackendNames, loadBuiltinBackend } from '@gluon-loss/backends';
import { BackendUnavailableError, type Backend } from '@gluon-loss/spec';
import { backendFromModule, isModuleSpecifier } from './backend-module.js';
import { unavailableBackend } from './unavailable.js';

export { unavailableBackend };

export { readGoldenDir, defaultGoldenDir } from '@gluon-loss/golden/node';

/**
 * A module path (its default export is a Backend, or a function that returns one) or the
 * name of a built-in backend.
 */
export async function loadBackendSpecifier(spec: string): Promise<Backend> {
  if (!isModuleSpecifier(spec)) return loadBuiltinBackend(spec);
  const url = pathToFileURL(resolve(spec)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new BackendUnavailableError(spec, `cannot import ${url}: ${(e as Error).message}`, e);
  }
  return backendFromModule(mod, spec);
}

/** Every built-in backend for Node, loaded; one that fails to load is reported unavailable. */
export async function loadBuiltinNodeBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of conformanceBackendNames('node')) {
    try {
      out.push(await loadBuiltinBackend(name));
    } catch (e) {
      out.push(unavailableBackend(name, (e as Error).message));
    }
  }
  return out;
}
