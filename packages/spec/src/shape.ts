/**
 * Shape arithmetic as MXNet 1.9.1 does it for the operators the losses use:
 * `broadcast_*` aligns shapes from the right (numpy rules), `reshape` keeps the element
 * count, and axes may be negative.
 */
import { ShapeError } from './errors.js';
import { formatShape, sizeOf, type Shape } from './tensor.js';

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** numpy/MXNet broadcasting; `undefined` when the shapes are incompatible. */
export function tryBroadcast(a: Shape, b: Shape): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * MXNet's broadcast kernels handle at most this many dimensions once runs of axes that
 * broadcast alike are merged (`broadcast::MAX_DIM` in 1.9.1): an alternating pattern over 6
 * axes, such as (2,3,2,3,2,3) with (1,3,1,3,1,3), is "Too many broadcast dimensions".
 */
export const MXNET_BROADCAST_MAX_DIM = 5;

/**
 * How many dimensions MXNet's BinaryBroadcastShapeCompact leaves for `a` op `b` (0 when the
 * shapes are equal: no broadcast at all). Axes are aligned from the right; a run of axes
 * merges while both operands keep the same pattern (equal sizes, or the same one of them 1).
 */
export function mxnetBroadcastDims(a: Shape, b: Shape): number {
  if (sameShape(a, b)) return 0;
  const n = Math.max(a.length, b.length);
  let dims = 0;
  let aProd = 1;
  let bProd = 1;
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if ((aProd !== bProd || da !== db) && aProd * da > 1 && bProd * db > 1) {
      dims++;
      aProd = 1;
      bProd = 1;
    }
    aProd *= da;
    bProd *= db;
  }
  return aProd > 1 || bProd > 1 ? dims + 1 : dims;
}

/**
 * Broadcasts `a` (named `aName`) with `b` as MXNet's broadcast operators do, or throws a
 * ShapeError naming both shapes: when numpy's rules fail, and where MXNet's kernels would
 * need more than MXNET_BROADCAST_MAX_DIM merged dimensions (it raises there too).
 */
export function broadcastOrThrow(loss: string, aName: string, a: Shape, bName: string, b: Shape): number[] {
  const out = tryBroadcast(a, b);
  if (out === undefined) {
    throw new ShapeError({
      loss,
      argument: aName,
      expected: `a shape that broadcasts with ${bName} ${formatShape(b)}`,
      received: formatShape(a),
    });
  }
  const dims = mxnetBroadcastDims(a, b);
  if (dims > MXNET_BROADCAST_MAX_DIM) {
    throw new ShapeError({
      loss,
      argument: aName,
      expected: `a broadcast against ${bName} ${formatShape(b)} of at most ${MXNET_BROADCAST_MAX_DIM} dimensions once alike axes merge (MXNet's limit)`,
      received: `${formatShape(a)} (${dims} dimensions)`,
    });
  }
  return out;
}

/** MXNet's `_reshape_like(label, pred)`: same element count, any shape. */
export function requireSameSize(loss: string, name: string, shape: Shape, likeName: string, like: Shape): void {
  if (sizeOf(shape) !== sizeOf(like)) {
    throw new ShapeError({
      loss,
      argument: name,
      expected: `${sizeOf(like)} elements, like ${likeName} ${formatShape(like)}`,
      received: `${formatShape(shape)} (${sizeOf(shape)} elements)`,
    });
  }
}

/** Resolves a possibly negative axis against `ndim`; `undefined` when out of range. */
export function tryNormalizeAxis(axis: number, ndim: number): number | undefined {
  const a = axis < 0 ? axis + ndim : axis;
  return a >= 0 && a < ndim ? a : undefined;
}

export function normalizeAxisOrThrow(
  loss: string,
  argument: string,
  axis: number,
  tensorName: string,
  shape: Shape,
): number {
  const a = tryNormalizeAxis(axis, shape.length);
  if (a === undefined) {
    throw new ShapeError({
      loss,
      argument,
      expected: `an axis in [${-shape.length}, ${shape.length - 1}] for ${tensorName} ${formatShape(shape)}`,
      received: String(axis),
    });
  }
  return a;
}

export function requireNdim(loss: string, name: string, shape: Shape, ndim: number, what: string): void {
  if (shape.length !== ndim) {
    throw new ShapeError({
      loss,
      argument: name,
      expected: `a ${ndim}-D tensor ${what}`,
      received: formatShape(shape),
    });
  }
}

/** Row-major strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * For each element of shape `to` (row-major), the index of the element of `from` that
 * numpy's broadcasting reads there (`from` aligned to the right, its size-1 axes repeated).
 * The simplest way for a backend to read a broadcast input; fused backends walk strides.
 */
export function broadcastIndex(from: Shape, to: Shape): Int32Array {
  const strides = stridesOf(from);
  const offset = to.length - from.length;
  const index = new Int32Array(to.reduce((a, b) => a * b, 1));
  for (let i = 0; i < index.length; i++) {
    for (let d = to.length - 1, rest = i; d >= 0; d--) {
      const k = rest % to[d]!;
      rest = (rest - k) / to[d]!;
      if (d >= offset && from[d - offset] !== 1) index[i]! += k * strides[d - offset]!;
    }
  }
  return index;
}
