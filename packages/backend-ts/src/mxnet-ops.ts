/**
 * MXNet's float32 elementwise rules where they decide Inf, NaN and overflow, written once
 * for every loss of this backend. The loops compute in float64 JS numbers and round with
 * `Math.fround` wherever MXNet materialises a float32 tensor; these helpers are small
 * enough for V8 to inline into those loops.
 */

/**
 * The smallest magnitude float32 rounds to Inf (2^128 - 2^103). A float64 running sum of
 * float32 values that reaches it has overflowed in MXNet's float32 sum. The hot loops
 * write addFloat32 inline, `sum += v; if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *=
 * Infinity;` (NaN fails the test and stays NaN): measured 2x faster than calling it.
 */
export const FLOAT32_OVERFLOW = 3.4028235677973366e38;

/**
 * `sum + value` as a step of mshadow's float32 sum: once a partial sum overflows it stays
 * ±Inf (the Kahan compensation stops at Inf), even if later terms would bring it back.
 * The float64 sum is otherwise kept: it is at least as accurate as MXNet's compensated one.
 */
export function addFloat32(sum: number, value: number): number {
  const s = sum + value;
  return Math.abs(s) < FLOAT32_OVERFLOW ? s : s * Infinity;
}

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
