/*
 * Softmax rows: a tensor viewed as `outer x classes x inner` around its class axis, so a
 * row is `classes` values `inner` apart. A contiguous row (inner == 1) runs four lanes at
 * a time; a strided one runs the same functions on single lanes. Sums are float32 lanes,
 * as MXNet's float32 softmax.
 */
#ifndef GLUON_ROWS_H
#define GLUON_ROWS_H

#include "walk.h"

/* max that propagates NaN, one lane. */
INLINE float max1(float a, float b) { return wasm_f32x4_extract_lane(wasm_f32x4_max(splat(a), splat(b)), 0); }

/* The smallest magnitude float32 rounds to Inf (2^128 - 2^103): the spec's FLOAT32_OVERFLOW. */
#define FLOAT32_OVERFLOW 3.4028235677973366e38

/* sum + value as one step of MXNet's float32 sum, kept in float64 (the spec's addFloat32):
   a partial sum that leaves float32's range is +-Inf for good (NaN stays NaN). */
INLINE double add_float32(double sum, float value) {
  double s = sum + (double)value;
  return __builtin_fabs(s) < FLOAT32_OVERFLOW ? s : s * __builtin_inf();
}

INLINE float hsum(f32x4 v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/*
 * The row's max, NaN if it holds one. The vector loop takes pmax (one x86 instruction;
 * f32x4.max is several, for NaN and -0) and notes NaN lanes apart: the same max but for
 * the sign of a zero max, which no result here keeps (x - max and exp see 0 either way).
 */
INLINE float row_max(const float *x, int classes, int stride) {
  float m = -__builtin_inff();
  int c = 0;
  if (stride == 1) {
    f32x4 mv = splat(m);
    v128_t nan = wasm_i32x4_splat(0);
    for (; c + 4 <= classes; c += 4) {
      f32x4 v = wasm_v128_load(x + c);
      mv = wasm_f32x4_pmax(mv, v);
      nan = wasm_v128_or(nan, wasm_f32x4_ne(v, v));
    }
    m = max1(max1(wasm_f32x4_extract_lane(mv, 0), wasm_f32x4_extract_lane(mv, 1)),
             max1(wasm_f32x4_extract_lane(mv, 2), wasm_f32x4_extract_lane(mv, 3)));
    if (wasm_v128_any_true(nan)) m = __builtin_nanf("");
  }
  for (; c < classes; c++) m = max1(m, x[c * stride]);
  return m;
}

/* sum of exp(x - max) along the row; each exp is also written to `out` when given. */
INLINE float row_sum_exp(const float *x, int classes, int stride, float max, float *out) {
  int c = 0;
  float sum = 0.0f;
  if (stride == 1) {
    f32x4 mv = splat(max), sv = splat(0.0f);
    for (; c + 4 <= classes; c += 4) {
      f32x4 e = v_exp(wasm_f32x4_sub(wasm_v128_load(x + c), mv));
      if (out) wasm_v128_store(out + c, e);
      sv = wasm_f32x4_add(sv, e);
    }
    sum = hsum(sv);
  }
  for (; c < classes; c++) {
    float e = s_exp(x[c * stride] - max);
    if (out) out[c * stride] = e;
    sum += e;
  }
  return sum;
}

/* out = v * scale along the row (in place allowed). */
INLINE void row_scale(float *v, int classes, int stride, float scale) {
  int c = 0;
  if (stride == 1) {
    f32x4 s = splat(scale);
    for (; c + 4 <= classes; c += 4) wasm_v128_store(v + c, wasm_f32x4_mul(wasm_v128_load(v + c), s));
  }
  for (; c < classes; c++) v[c * stride] *= scale;
}

#endif
