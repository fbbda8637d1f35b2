/** Node-side helpers of the runner: backends named on a command line, and golden folders. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { conformanceBackendNames, loadBuiltinBackend } from '@gluon-loss/backends';
import { BackendUnavailableError, type Backend } from '@gluon-loss/spec';
import { unavailableBackend } from './unavailable.js';

export { unavailableBackend };

export { readGoldenDir, defaultGoldenDir } from '@gluon-loss/golden/node';

function looksLikeBackend(v: unknown): v is Backend {
  const b = v as Partial<Backend> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.name === 'string' &&
    typeof b.compile === 'function' &&
    typeof b.probe === 'function' &&
    typeof b.supports === 'function'
  );
}

/**
 * A module path (its default export is a Backend, or a function that returns one) or the
 * name of a built-in backend.
 */
export async function loadBackendSpecifier(spec: string): Promise<Backend> {
  if (!/^[./]/.test(spec) && !spec.endsWith('.js') && !spec.endsWith('.mjs')) return loadBuiltinBackend(spec);
  const url = pathToFileURL(resolve(spec)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new BackendUnavailableError(spec, `cannot import ${url}: ${(e as Error).message}`, e);
  }
  let candidate = mod.default ?? mod.backend;
  if (typeof candidate === 'function') candidate = await (candidate as () => unknown)();
  if (!looksLikeBackend(candidate)) {
    throw new BackendUnavailableError(spec, 'its default export is not a Backend (name, probe, supports, compile)');
  }
  return candidate;
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
