/**
 * MXNet's float32 elementwise rules where they decide Inf, NaN and overflow, written once
 * for every loss of this backend. The loops compute in float64 JS numbers and round with
 * `Math.fround` wherever MXNet materialises a float32 tensor; these helpers are small
 * enough for V8 to inline into those loops.
 */

// mshadow's float32 sum (where a partial sum overflows) is a spec rule, shared with backend-wasm.
export { FLOAT32_OVERFLOW, KahanSum, addFloat32 } from '@gluon-loss/spec';

/**
 * mshadow's relu: NaN stays NaN, -Inf gives 0. `0.5 * (t + |t|)` is exact and
 * branch-free for every other t (a branch on t > 0 stalls on random signs); only -Inf
 * makes it NaN, which the (predictable) test puts back to 0.
 */
export function relu(t: number): number {
  const r = 0.5 * (t + Math.abs(t));
  return r === r || t !== t ? r : 0;
}

/** relu's gradient factor: 1 where t > 0, 0 elsewhere, NaN at NaN (mshadow's relu_grad). */
export function reluGrad(t: number): number {
  return t !== t ? t : Number(t > 0);
}

/** mshadow's sign, the gradient factor of abs: 0 at ±0 and at NaN. */
export function sign(x: number): number {
  return Number(x > 0) - Number(x < 0);
}
