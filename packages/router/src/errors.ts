/**
 * The router's own errors. Both list every backend it considered and why that one gave
 * no result, so a caller (or a bug report) sees the whole story in one message.
 */
import { GluonLossError } from '@gluon-loss/spec';

export interface BackendAttempt {
  readonly backend: string;
  /**
   * Where it dropped out: not in the conformance table for this loss, refused by the
   * policy, could not load or initialise here, does not implement this config, failed to
   * compile, or threw during the call.
   */
  readonly stage: 'ineligible' | 'policy' | 'unavailable' | 'unsupported' | 'load' | 'compile' | 'call';
  readonly reason: string;
}

function listAttempts(attempts: readonly BackendAttempt[]): string {
  return attempts.length === 0
    ? 'no backend is known'
    : attempts.map((a) => `${a.backend} (${a.stage}): ${a.reason}`).join('; ');
}

/** No backend may run this loss here: none is eligible, allowed by the policy and available. */
export class NoBackendError extends GluonLossError {
  readonly kind = 'backend-unavailable';
  readonly attempts: readonly BackendAttempt[];
  constructor(loss: string, attempts: readonly BackendAttempt[]) {
    super(`${loss}: no backend can run it here: ${listAttempts(attempts)}`, {
      loss,
      argument: 'backend',
      expected: 'an available backend that passed every golden case of this loss',
    });
    this.attempts = attempts;
  }
}

/** Every backend that could run this call threw (or was lost) on it. */
export class AllBackendsFailedError extends GluonLossError {
  readonly kind = 'backend-failure';
  readonly attempts: readonly BackendAttempt[];
  constructor(loss: string, attempts: readonly BackendAttempt[]) {
    super(`${loss}: every backend failed on this call: ${listAttempts(attempts)}`, {
      loss,
      argument: 'backend',
      expected: 'a backend that completes the call',
    });
    this.attempts = attempts;
  }
}

const CALLER_ERROR_KINDS: ReadonlySet<string> = new Set(['unknown-loss', 'config', 'input', 'shape', 'dtype']);

/**
 * A spec error about the caller's config or input, which the router passes on unchanged
 * instead of trying another backend (every backend would refuse it the same way). Checked
 * by `kind`, not by class, so that it holds across two copies of the spec package.
 */
export function isCallerError(e: unknown): boolean {
  const kind = typeof e === 'object' && e !== null ? (e as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && CALLER_ERROR_KINDS.has(kind);
}

/**
 * A backend's device or context went away (WebGPU device loss, WebGL context loss), its
 * wasm instance aborted, or the backend itself says it can no longer run: it is not tried
 * again in this process.
 */
export function isBackendLost(e: unknown): boolean {
  const kind = typeof e === 'object' && e !== null ? (e as { kind?: unknown }).kind : undefined;
  if (kind === 'backend-unavailable') return true;
  const message = describeError(e);
  // Emscripten's abort() ("Aborted(OOM)", "RuntimeError: Aborted()"): the wasm instance is
  // dead, and every later call on it throws the same.
  if (/\bAborted\(/.test(message)) return true;
  return /\b(device (was |is )?lost|context (was |is )?lost|lost (the )?(device|context))\b/i.test(message);
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
