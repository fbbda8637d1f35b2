/**
 * What a backend's result must be before it reaches the caller: the loss a Float32Array
 * of the plan's output shape, and for forwardBackward a gradient for every input the
 * plan differentiates, each a Float32Array of that input's own shape. Anything else (a
 * missing gradient, a wrong length, `undefined`, an Int32Array) is the backend's fault:
 * the router records it and falls back, as for a thrown error.
 */
import { formatShape, sameShape, sizeOf, type CallPlan, type Shape } from '@gluon-loss/spec';
import type { CallMode } from './decisions.js';

/** A backend returned something that is not a result of this call. */
export class MalformedResultError extends Error {
  override readonly name = 'MalformedResultError';
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'a plain array';
  return typeof value;
}

function checkTensor(value: unknown, what: string, shape: Shape): void {
  if (typeof value !== 'object' || value === null) throw new MalformedResultError(`${what} is ${describe(value)}`);
  const t = value as { data?: unknown; shape?: unknown };
  if (!(t.data instanceof Float32Array))
    throw new MalformedResultError(`${what}.data is ${describe(t.data)}, not a Float32Array`);
  if (!Array.isArray(t.shape) || !sameShape(t.shape as Shape, shape))
    throw new MalformedResultError(
      `${what} has shape ${Array.isArray(t.shape) ? formatShape(t.shape as Shape) : describe(t.shape)}, expected ${formatShape(shape)}`,
    );
  if (t.data.length !== sizeOf(shape))
    throw new MalformedResultError(`${what} has ${t.data.length} elements, expected ${sizeOf(shape)}`);
}

/** Throws MalformedResultError unless `result` is a well-formed result of `plan` in `mode`. */
export function checkResult(plan: CallPlan, mode: CallMode, result: unknown): void {
  if (typeof result !== 'object' || result === null)
    throw new MalformedResultError(`the result is ${describe(result)}`);
  const r = result as { loss?: unknown; grads?: unknown };
  checkTensor(r.loss, 'the loss', plan.outputShape);
  if (mode === 'forward') return;
  if (typeof r.grads !== 'object' || r.grads === null)
    throw new MalformedResultError(`the gradients are ${describe(r.grads)}`);
  const grads = r.grads as Record<string, unknown>;
  for (const name of plan.gradInputs) {
    if (grads[name] === undefined) throw new MalformedResultError(`the gradient of ${name} is missing`);
    checkTensor(grads[name], `the gradient of ${name}`, plan.tensors[name]!.shape);
  }
}
