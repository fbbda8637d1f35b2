/**
 * Timing one cell: a backend (or a tfjs built-in) on a prepared case in one mode. This
 * module imports nothing of Node's, so the same code times cells in Node and in the
 * bench's page in Chromium.
 */
import { parseConfig, type Backend, type CompiledLoss } from '@gluon-loss/spec';
import type { Cell, Mode } from './format.js';
import { shapesOf, type PreparedCase } from './inputs.js';
import { measure, withTimeout, type TimingSettings } from './measure.js';
import { TFJS_BUILTINS, activateTfjs, builtinCalls, type BuiltinCall } from './tfjs-builtin.js';

/** Compile (graph build, session creation, shader compilation) may take long, never forever. */
export const COMPILE_TIMEOUT_MS = 180_000;

export function cellBase(prepared: PreparedCase, backend: string, mode: Mode) {
  const c = prepared.benchCase;
  return {
    loss: c.loss,
    size: c.size,
    elements: c.elements,
    shapes: shapesOf(prepared),
    bytes: mode === 'forward' ? prepared.forwardBytes : prepared.forwardBackwardBytes,
    backend,
    mode,
  };
}

/** An error as a cell's reason: its class when it says something, and its message. */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}

export async function timeBackend(
  backend: Backend,
  prepared: PreparedCase,
  mode: Mode,
  timing: TimingSettings,
): Promise<Cell> {
  const { loss, config } = prepared.benchCase;
  const base = cellBase(prepared, backend.name, mode);
  const support = backend.supports(loss, parseConfig(loss, config));
  if (!support.supported) return { ...base, status: 'unsupported', reason: support.reason };
  let compiled: CompiledLoss | undefined;
  try {
    const { timing: t } = await measure(
      async () => (compiled = await withTimeout(backend.compile(loss, config), COMPILE_TIMEOUT_MS, 'compile')),
      (c) => (mode === 'forward' ? c.forward(prepared.inputs) : c.forwardBackward(prepared.inputs, prepared.headGrad)),
      timing,
    );
    return { ...base, status: 'ok', ...t };
  } catch (e) {
    return { ...base, status: 'failed', reason: describeError(e) };
  } finally {
    try {
      compiled?.dispose();
    } catch {
      // a backend that fails to free is already reported by its cell
    }
  }
}

/** tfjs's built-in equivalent of the case's loss on a tfjs backend (`cpu`, `wasm`, `webgl`, ...). */
export async function timeBuiltin(
  variant: string,
  prepared: PreparedCase,
  mode: Mode,
  timing: TimingSettings,
): Promise<Cell> {
  const equivalent = TFJS_BUILTINS[prepared.benchCase.loss]!;
  const base = { ...cellBase(prepared, `tfjs-${variant}`, mode), builtin: equivalent.fn };
  try {
    await activateTfjs(variant);
  } catch (e) {
    return { ...base, status: 'unavailable', reason: describeError(e) };
  }
  try {
    const { timing: t } = await measure(
      () => builtinCalls(equivalent, prepared),
      (calls: BuiltinCall) => calls[mode](),
      timing,
    );
    return { ...base, status: 'ok', ...t };
  } catch (e) {
    return { ...base, status: 'failed', reason: describeError(e) };
  }
}
