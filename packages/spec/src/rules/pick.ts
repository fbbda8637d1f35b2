/**
 * MXNet 1.9.1's `pick` index rule (sparse SoftmaxCrossEntropyLoss), written once for
 * every backend: a backend either calls it on the host before it builds its inputs, or
 * is tested against it, so no two backends can pick different classes for one label.
 *
 * `pick` casts the float32 label to int32 (`static_cast<int>`, toward zero), then, in its
 * default mode 'clip', clips the index into [0, classes - 1]. The released wheel is
 * x86-64, where a value the cast cannot represent (outside int32, NaN, ±Inf) becomes
 * INT_MIN (cvttss2si's "integer indefinite"), which the clip turns into class 0: a label
 * of 3e9 or NaN picks class 0, not the last class.
 */
import type { TypedData } from '../tensor.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The class MXNet's `pick(..., mode='clip')` reads for one label value. */
export function pickIndex(label: number, classes: number): number {
  const truncated = Math.trunc(label);
  // NaN fails both comparisons, so it takes the INT_MIN path too.
  const index = truncated >= INT32_MIN && truncated <= INT32_MAX ? truncated : INT32_MIN;
  return index <= 0 ? 0 : index >= classes ? classes - 1 : index;
}

/** `pickIndex` of every label, as an Int32Array of class indices. */
export function pickIndices(labels: TypedData, classes: number): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = pickIndex(labels[i]!, classes);
  return out;
}
