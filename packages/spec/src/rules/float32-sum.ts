/**
 * mshadow's float32 sum, where it decides Inf and NaN: a backend that adds float32 values
 * in float64 (more accurate than MXNet's Kahan-compensated float32 sum, never less) still
 * has to overflow where MXNet does. Once a partial sum leaves float32's range it is ±Inf
 * for good (the compensation stops at Inf), even if later terms would bring it back.
 *
 * Near float32's max the two part: Kahan's compensation `(t - s) - y` overflows on its own
 * when a partial sum swings between large magnitudes of both signs, and the sum becomes
 * ±Inf where every float64 partial sum stays finite (108 loss elements up to 3.4e38,
 * partial sums within ±2.5e38: MXNet's mean is +Inf; differential seed 202612010,
 * SoftmaxCE case 107). So a float64 sum is MXNet's only while it stays below
 * KAHAN_EXACT_BELOW; past it a backend sums again with `KahanSum`, step by step.
 */

/**
 * The smallest magnitude float32 rounds to Inf (2^128 - 2^103). A float64 running sum of
 * float32 values that reaches it has overflowed in MXNet's float32 sum. Hot loops write
 * addFloat32 inline, `sum += v; if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;`
 * (NaN fails the test and stays NaN): measured 2x faster than calling it.
 */
export const FLOAT32_OVERFLOW = 3.4028235677973366e38;

/** `sum + value` as one step of mshadow's float32 sum (see the module comment). */
export function addFloat32(sum: number, value: number): number {
  const s = sum + value;
  return Math.abs(s) < FLOAT32_OVERFLOW ? s : s * Infinity;
}

/**
 * A float64 running sum of float32 terms that stays below 2^126 in magnitude (and the
 * terms too) is MXNet's Kahan sum to within its last rounding: no compensation step can
 * overflow there. At or past it, or NaN, only `KahanSum` gives MXNet's result.
 */
export const KAHAN_EXACT_BELOW = 2 ** 126;

/**
 * mshadow's float32 Kahan sum (`red::sum`, which MXNet's sum, mean and every broadcast's
 * backward run), one term at a time in index order; the compensation stops once the sum is
 * infinite. One instance serves many sums: `reset()` before each.
 */
export class KahanSum {
  sum = 0;
  #residual = 0;

  reset(): this {
    this.sum = 0;
    this.#residual = 0;
    return this;
  }

  add(value: number): void {
    const term = Math.fround(value - this.#residual);
    const next = Math.fround(this.sum + term);
    this.#residual = next === Infinity || next === -Infinity ? 0 : Math.fround(Math.fround(next - this.sum) - term);
    this.sum = next;
  }
}

/** `groups` KahanSums side by side, for a reduction that visits its outputs in turn. */
export class KahanSums {
  readonly sums: Float64Array;
  readonly #residuals: Float64Array;

  constructor(groups: number) {
    this.sums = new Float64Array(groups);
    this.#residuals = new Float64Array(groups);
  }

  add(group: number, value: number): void {
    const sum = this.sums[group]!;
    const term = Math.fround(value - this.#residuals[group]!);
    const next = Math.fround(sum + term);
    this.#residuals[group] = next === Infinity || next === -Infinity ? 0 : Math.fround(Math.fround(next - sum) - term);
    this.sums[group] = next;
  }
}
