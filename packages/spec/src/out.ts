/**
 * Caller-owned result buffers: the `out` option of forward and forwardBackward, checked
 * in one place for every backend and the router.
 *
 * The aliasing rule. A buffer given in `out` receives the result that the call returns,
 * and nothing else: the returned tensors' `data` *are* those buffers, filled completely.
 * Each buffer is a Float32Array of exactly the result's size; no two buffers may share
 * memory with each other, with an input or with the head gradient (a loss may read an
 * input after writing a gradient, so an overlap would change the answer). A call that
 * rejects (bad input, every backend failed) leaves the buffers' contents unspecified.
 * A result the call does not return cannot be written: `out.grads` only on
 * forwardBackward, and only for the inputs it differentiates (`CallPlan.gradInputs`).
 * A result without a buffer is returned in a fresh array, as without `out`.
 */
import { DtypeError, InputError, ShapeError } from './errors.js';
import type { CallPlan } from './plan.js';
import { describeData, formatShape, isTensor, sizeOf, type FloatTensor, type Shape, type TypedData } from './tensor.js';

export interface ResultBuffers {
  /** Receives the loss: a Float32Array of the output's size (`CallPlan.outputShape`). */
  readonly loss?: Float32Array;
  /** forwardBackward only: by input name, a Float32Array of that input's size. */
  readonly grads?: Readonly<Record<string, Float32Array>>;
}

export interface CallOptions {
  /** Buffers the results are written into instead of fresh arrays (the aliasing rule above). */
  readonly out?: ResultBuffers;
}

export type ResultMode = 'forward' | 'forwardBackward';

interface Region {
  readonly argument: string;
  readonly data: TypedData;
}

function overlaps(a: TypedData, b: TypedData): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function objectOrThrow(plan: CallPlan, argument: string, expected: string, value: unknown): { readonly out?: unknown } {
  if (typeof value !== 'object' || value === null)
    throw new InputError({ loss: plan.loss, argument, expected, received: describeData(value) });
  return value;
}

function checkBuffer(plan: CallPlan, argument: string, value: unknown, shape: Shape): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new DtypeError({
      loss: plan.loss,
      argument,
      expected: `a Float32Array of ${sizeOf(shape)} elements (shape ${formatShape(shape)})`,
      received: describeData(value),
    });
  }
  if (value.length !== sizeOf(shape)) {
    throw new ShapeError({
      loss: plan.loss,
      argument,
      expected: `${sizeOf(shape)} elements (shape ${formatShape(shape)})`,
      received: `${value.length} elements`,
    });
  }
  return value;
}

/**
 * Validates `options.out` against a call's plan: undefined when no buffer is given.
 * Throws DtypeError / ShapeError for a wrong buffer and InputError for a result the
 * call does not return or a buffer that shares memory with another or with an input.
 */
export function checkResultBuffers(
  plan: CallPlan,
  mode: ResultMode,
  options: CallOptions | undefined,
  headGrad?: FloatTensor,
): ResultBuffers | undefined {
  if (options === undefined) return undefined;
  const out: unknown = objectOrThrow(plan, 'options', 'an object { out?: { loss?, grads? } }', options).out;
  if (out === undefined) return undefined;
  objectOrThrow(plan, 'out', 'an object { loss?: Float32Array, grads?: { [input]: Float32Array } }', out);
  const given = out as ResultBuffers;
  const regions: Region[] = [];
  if (given.loss !== undefined)
    regions.push({ argument: 'out.loss', data: checkBuffer(plan, 'out.loss', given.loss, plan.outputShape) });
  if (given.grads !== undefined) {
    if (mode === 'forward') {
      throw new InputError({
        loss: plan.loss,
        argument: 'out.grads',
        expected: 'no gradient buffers on forward (it returns only the loss)',
        received: `buffers for ${Object.keys(given.grads).join(', ')}`,
      });
    }
    for (const name of Object.keys(given.grads)) {
      const argument = `out.grads.${name}`;
      if (!plan.gradInputs.includes(name)) {
        throw new InputError({
          loss: plan.loss,
          argument,
          expected: `a buffer only for an input this call differentiates (${plan.gradInputs.join(', ') || 'none'})`,
          received: name,
        });
      }
      const shape = plan.tensors[name]!.shape;
      regions.push({ argument, data: checkBuffer(plan, argument, given.grads[name], shape) });
    }
  }
  const inputs: Region[] = Object.entries(plan.tensors).map(([name, t]) => ({ argument: name, data: t.data }));
  if (headGrad !== undefined && isTensor(headGrad)) inputs.push({ argument: 'headGrad', data: headGrad.data });
  regions.forEach((r, i) => {
    const other = [...regions.slice(0, i), ...inputs].find((o) => overlaps(r.data, o.data));
    if (other !== undefined) {
      throw new InputError({
        loss: plan.loss,
        argument: r.argument,
        expected: 'a buffer that shares no memory with another out buffer, an input or the head gradient',
        received: `memory shared with ${other.argument}`,
      });
    }
  });
  return regions.length === 0 ? undefined : given;
}

/** The buffer for one result: `out.loss` for 'loss', else `out.grads[name]`. */
export function resultBuffer(out: ResultBuffers | undefined, result: 'loss' | { readonly grad: string }) {
  if (out === undefined) return undefined;
  return result === 'loss' ? out.loss : out.grads?.[result.grad];
}

function into(target: Float32Array | undefined, t: FloatTensor): FloatTensor {
  if (target === undefined || target === t.data) return t;
  target.set(t.data);
  return { data: target, shape: t.shape };
}

/**
 * The result with each tensor that has a buffer in `out` moved into it (a backend that
 * wrote into the buffer already is left as it is): what a call with `out` returns.
 */
export function deliverInto<
  R extends { readonly loss: FloatTensor; readonly grads?: Readonly<Record<string, FloatTensor>> },
>(out: ResultBuffers | undefined, result: R): R {
  if (out === undefined) return result;
  const loss = into(out.loss, result.loss);
  if (result.grads === undefined) return { ...result, loss };
  const grads: Record<string, FloatTensor> = {};
  for (const name in result.grads) grads[name] = into(out.grads?.[name], result.grads[name]!);
  return { ...result, loss, grads };
}
