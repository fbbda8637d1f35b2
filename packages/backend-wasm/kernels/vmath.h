/*
 * Vectorized float32 exp, log and log1p over four lanes of SIMD128, without libc.
 *
 * Accuracy: within 1 ulp of the correctly rounded float32 result for exp, log and log1p
 * (test/vmath.test.ts checks it on a seeded 10^6-value sample per function and on edge
 * values; an exhaustive sweep over all 2^32 inputs is not part of the suite).
 * Special values and thresholds are glibc's expf/logf/log1pf:
 *   exp: NaN -> NaN, +inf -> +inf, -inf -> 0, x > 0x1.62e42ep6 (88.7228317) -> +inf,
 *        results below FLT_MIN are subnormal (gradual underflow), and round to 0 below
 *        -0x1.9fe36ap6 (-103.972084) and below;
 *   log: NaN -> NaN, x < 0 (-0 excluded) -> NaN, +-0 -> -inf, +inf -> +inf, subnormals exact;
 *   log1p: x < -1 -> NaN, -1 -> -inf, +inf -> +inf, tiny x -> x.
 *
 * Method: Cody-Waite argument reduction with a split ln 2 (its high part short enough
 * that k * high is exact), then a Taylor polynomial evaluated in float32; no FMA
 * (SIMD128 has none), so every step is an IEEE float32 operation, the same on every
 * engine: results are bit-identical in Node and in browsers.
 */
#ifndef GLUON_VMATH_H
#define GLUON_VMATH_H

#include <wasm_simd128.h>

#define INLINE static inline __attribute__((always_inline))

typedef v128_t f32x4;

INLINE f32x4 splat(float v) { return wasm_f32x4_splat(v); }

/* ln 2 split: HI has 15 significant bits, so k * HI is exact for |k| < 512. */
#define LN2_HI 0.693145751953125f
#define LN2_LO 1.42860682030941723212e-6f
#define LOG2E 1.44269504088896341f

/* glibc's expf returns +inf above 0x1.62e42ep6, the largest float whose exp is finite. */
#define EXP_OVERFLOW 88.72283172607421875f
/* At and below this expf is 0 in glibc (exp(x) < 2^-150 rounds to 0). */
#define EXP_UNDERFLOW -103.972084045410156f

/* 2^k for integer lanes k in [-126, 127]. */
INLINE f32x4 pow2i(v128_t k) { return wasm_i32x4_shl(wasm_i32x4_add(k, wasm_i32x4_splat(127)), 23); }

/* 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, to nearest
   even (as f32x4.nearest), and leaves that integer in the low mantissa bits. */
#define ROUNDING_SHIFT 12582912.0f

INLINE f32x4 v_exp(f32x4 x) {
  /* Clamp so that k stays within [-150, 128]. pmin/pmax are one x86 instruction each
   * (f32x4.min/max are several, for NaN and -0); with x first a NaN passes through both. */
  f32x4 xc = wasm_f32x4_pmax(wasm_f32x4_pmin(x, splat(89.0f)), splat(-104.0f));
  /* k = nearest(xc * log2 e), and its integer value from the same sum's bits (f32x4.nearest
   * and i32x4.trunc_sat cost a dozen x86 instructions more; the results are the same). */
  f32x4 shifted = wasm_f32x4_add(wasm_f32x4_mul(xc, splat(LOG2E)), splat(ROUNDING_SHIFT));
  f32x4 k = wasm_f32x4_sub(shifted, splat(ROUNDING_SHIFT));
  f32x4 r = wasm_f32x4_sub(xc, wasm_f32x4_mul(k, splat(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, splat(LN2_LO)));
  /* exp(r) on |r| <= 0.347: Taylor to r^7 (truncation < 6e-9 relative). */
  f32x4 p = splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r);
  p = wasm_f32x4_add(p, splat(1.0f));
  /* Scale by 2^k in two factors so that k in [-150, 128] never leaves the normal range;
   * a subnormal result is rounded once, by the last multiply. A NaN lane's k is garbage,
   * and its p NaN: the product stays NaN. */
  v128_t ki = wasm_i32x4_sub(shifted, wasm_i32x4_splat(0x4B400000));
  v128_t k1 = wasm_i32x4_shr(ki, 1);
  v128_t k2 = wasm_i32x4_sub(ki, k1);
  f32x4 y = wasm_f32x4_mul(wasm_f32x4_mul(p, pow2i(k1)), pow2i(k2));
  y = wasm_v128_bitselect(splat(__builtin_inff()), y, wasm_f32x4_gt(x, splat(EXP_OVERFLOW)));
  y = wasm_v128_bitselect(splat(0.0f), y, wasm_f32x4_le(x, splat(EXP_UNDERFLOW)));
  return y;
}

INLINE f32x4 v_log(f32x4 x) {
  /* Subnormals: scale into the normal range first (exact). */
  v128_t tiny = wasm_f32x4_lt(x, splat(1.17549435e-38f));
  f32x4 xs = wasm_v128_bitselect(wasm_f32x4_mul(x, splat(8388608.0f)), x, tiny);
  v128_t bits = xs;
  v128_t e = wasm_i32x4_sub(wasm_u32x4_shr(bits, 23), wasm_i32x4_splat(127));
  e = wasm_i32x4_sub(e, wasm_v128_and(tiny, wasm_i32x4_splat(23)));
  f32x4 m = wasm_v128_or(wasm_v128_and(bits, wasm_i32x4_splat(0x007fffff)), wasm_i32x4_splat(0x3f800000));
  /* m in [1, 2): fold into [sqrt(1/2), sqrt(2)). */
  v128_t big = wasm_f32x4_gt(m, splat(1.41421356f));
  m = wasm_v128_bitselect(wasm_f32x4_mul(m, splat(0.5f)), m, big);
  e = wasm_i32x4_sub(e, big); /* big lanes are -1: e + 1 */
  f32x4 f = wasm_f32x4_sub(m, splat(1.0f));
  /* log(1 + f) = f - f^2/2 + s (f^2/2 + R), s = f / (2 + f), R = 2 atanh(s)/s - 2 (Taylor). */
  f32x4 s = wasm_f32x4_div(f, wasm_f32x4_add(splat(2.0f), f));
  f32x4 z = wasm_f32x4_mul(s, s);
  f32x4 R = splat(2.0f / 11.0f);
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 9.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 7.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 5.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 3.0f));
  R = wasm_f32x4_mul(R, z);
  f32x4 hfsq = wasm_f32x4_mul(splat(0.5f), wasm_f32x4_mul(f, f));
  f32x4 dk = wasm_f32x4_convert_i32x4(e);
  f32x4 y = wasm_f32x4_add(wasm_f32x4_mul(s, wasm_f32x4_add(hfsq, R)), wasm_f32x4_mul(dk, splat(LN2_LO)));
  y = wasm_f32x4_add(wasm_f32x4_sub(y, hfsq), f);
  y = wasm_f32x4_add(y, wasm_f32x4_mul(dk, splat(LN2_HI)));
  /* Special values: +inf -> +inf, 0 -> -inf, negative -> NaN, NaN -> NaN. */
  y = wasm_v128_bitselect(x, y, wasm_f32x4_eq(x, splat(__builtin_inff())));
  y = wasm_v128_bitselect(splat(-__builtin_inff()), y, wasm_f32x4_eq(x, splat(0.0f)));
  y = wasm_v128_bitselect(splat(__builtin_nanf("")), y, wasm_f32x4_lt(x, splat(0.0f)));
  y = wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
  return y;
}

INLINE f32x4 v_log1p(f32x4 x) {
  /* log1p(x) = log(u) + c / u with u = 1 + x rounded and c its rounding error
   * (two-sum, ordered by magnitude). */
  f32x4 one = splat(1.0f);
  f32x4 u = wasm_f32x4_add(one, x);
  v128_t small = wasm_f32x4_le(wasm_f32x4_abs(x), one);
  f32x4 c = wasm_v128_bitselect(wasm_f32x4_add(wasm_f32x4_sub(one, u), x), wasm_f32x4_add(wasm_f32x4_sub(x, u), one),
                                small);
  f32x4 y = wasm_f32x4_add(v_log(u), wasm_f32x4_div(c, u));
  y = wasm_v128_bitselect(x, y, wasm_f32x4_eq(x, splat(__builtin_inff())));
  y = wasm_v128_bitselect(splat(-__builtin_inff()), y, wasm_f32x4_eq(x, splat(-1.0f)));
  /* Tiny x (including -0): x itself, as glibc returns. */
  y = wasm_v128_bitselect(x, y, wasm_f32x4_lt(wasm_f32x4_abs(x), splat(1e-30f)));
  return y;
}

/*
 * log1p(e) for e in [0, 1] (or NaN): softrelu(-|x|) = log1p(exp(-|x|)) in the logistic
 * losses. The same arithmetic as v_log1p on that domain (so the same bits), without the
 * subnormal scaling and special-value selects that cannot apply there.
 */
INLINE f32x4 v_log1p_unit(f32x4 e) {
  f32x4 one = splat(1.0f);
  f32x4 u = wasm_f32x4_add(one, e);
  f32x4 c = wasm_f32x4_add(wasm_f32x4_sub(one, u), e);
  v128_t big = wasm_f32x4_gt(u, splat(1.41421356f));
  f32x4 m = wasm_v128_bitselect(wasm_f32x4_mul(u, splat(0.5f)), u, big);
  f32x4 f = wasm_f32x4_sub(m, one);
  f32x4 s = wasm_f32x4_div(f, wasm_f32x4_add(splat(2.0f), f));
  f32x4 z = wasm_f32x4_mul(s, s);
  f32x4 R = splat(2.0f / 11.0f);
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 9.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 7.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 5.0f));
  R = wasm_f32x4_add(wasm_f32x4_mul(R, z), splat(2.0f / 3.0f));
  R = wasm_f32x4_mul(R, z);
  f32x4 hfsq = wasm_f32x4_mul(splat(0.5f), wasm_f32x4_mul(f, f));
  f32x4 dk = wasm_v128_and(big, one);
  f32x4 y = wasm_f32x4_add(wasm_f32x4_mul(s, wasm_f32x4_add(hfsq, R)), wasm_f32x4_mul(dk, splat(LN2_LO)));
  y = wasm_f32x4_add(wasm_f32x4_sub(y, hfsq), f);
  y = wasm_f32x4_add(y, wasm_f32x4_mul(dk, splat(LN2_HI)));
  return wasm_f32x4_add(y, wasm_f32x4_div(c, u));
}

/* Scalar forms of the same functions (lane 0), for loops that are not vectorized. */
INLINE float s_exp(float x) { return wasm_f32x4_extract_lane(v_exp(splat(x)), 0); }
INLINE float s_log(float x) { return wasm_f32x4_extract_lane(v_log(splat(x)), 0); }
INLINE float s_log1p(float x) { return wasm_f32x4_extract_lane(v_log1p(splat(x)), 0); }

#endif
