/**
 * An author's backend module, as the CLI takes it in Node and in Chromium: its default
 * export (or its `backend` export) is a Backend, or a function that returns one.
 */
import { BackendUnavailableError, type Backend } from '@gluon-loss/spec';

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

/** The Backend an imported module gives; `spec` (the module's path as given) names it in errors. */
export async function backendFromModule(mod: Record<string, unknown>, spec: string): Promise<Backend> {
  let candidate = mod.default ?? mod.backend;
  if (typeof candidate === 'function') candidate = await (candidate as () => unknown)();
  if (!looksLikeBackend(candidate)) {
    throw new BackendUnavailableError(spec, 'its default export is not a Backend (name, probe, supports, compile)');
  }
  return candidate;
}

/** Whether a `--backend` value names a module (a path or a .js/.mjs file) rather than a built-in backend. */
export function isModuleSpecifier(spec: string): boolean {
  return /^[./]/.test(spec) || spec.endsWith('.js') || spec.endsWith('.mjs');
}
