/*
 * The walk every elementwise kernel shares (see src/weighting.ts for the layout): the
 * unweighted loss elements, row-major, in blocks of `inner` contiguous elements; block j
 * adds into accumulator `acc[j % groups]` (float64) and reads its head gradient G from
 * `G[j % groups]`. With `w` (sample_weight per element, or NULL) an element's loss and
 * gradient are multiplied by its weight, and with `gw` (or NULL) `loss * G` is written
 * for sample_weight's gradient. Each kernel is one pass: loss, reduction and every
 * gradient together.
 *
 * A loss provides its element function (loss and derivatives of four lanes); the
 * walkers are always inlined with it, so each exported kernel is one tight loop. The
 * last partial vector of a block is computed on padded lanes and only its valid lanes
 * are summed and stored, so padding never reaches a result.
 */
#ifndef GLUON_WALK_H
#define GLUON_WALK_H

#include "vmath.h"

#define EXPORT(name) __attribute__((export_name(#name))) void name

typedef struct {
  float a, b, c, d;
  int flag;
} params_t;

typedef void (*elem2_fn)(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy);
typedef void (*elem3_fn)(f32x4 x, f32x4 y, f32x4 z, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy,
                         f32x4 *dz);

/* The first k (1..3) floats at p into lanes 0..k-1, the rest 0; lane loads, no stack. */
INLINE f32x4 load_part(const float *p, int k) {
  if (k == 1) return wasm_v128_load32_zero(p);
  f32x4 v = wasm_v128_load64_zero(p);
  return k == 2 ? v : wasm_v128_load32_lane(p + 2, v, 2);
}

/* Lanes 0..k-1 (k in 1..3) of v to p. */
INLINE void store_part(float *p, f32x4 v, int k) {
  if (k == 1) {
    wasm_v128_store32_lane(p, v, 0);
    return;
  }
  wasm_v128_store64_lane(p, v, 0);
  if (k == 3) wasm_v128_store32_lane(p + 2, v, 2);
}

/* Adds four float32 lanes into two float64x2 accumulators. */
INLINE void add_f64(v128_t *lo, v128_t *hi, f32x4 v) {
  *lo = wasm_f64x2_add(*lo, wasm_f64x2_promote_low_f32x4(v));
  *hi = wasm_f64x2_add(*hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
}

INLINE double sum_f64(v128_t lo, v128_t hi) {
  return (wasm_f64x2_extract_lane(lo, 0) + wasm_f64x2_extract_lane(lo, 1)) +
         (wasm_f64x2_extract_lane(hi, 0) + wasm_f64x2_extract_lane(hi, 1));
}

/* The sum of lanes 0..k-1 (k in 1..3), in float64, lane order. */
INLINE double sum_part(f32x4 v, int k) {
  double s = (double)wasm_f32x4_extract_lane(v, 0);
  if (k > 1) s += (double)wasm_f32x4_extract_lane(v, 1);
  if (k > 2) s += (double)wasm_f32x4_extract_lane(v, 2);
  return s;
}

INLINE void walk2_forward(const float *x, const float *y, int n, int inner, int groups, const float *w, double *acc,
                          const params_t *p, elem2_fn f) {
  int g = 0;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy;
    for (; e + 4 <= end; e += 4) {
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), p, &l, &dx, &dy);
      if (w) l = wasm_f32x4_mul(l, wasm_v128_load(w + e));
      add_f64(&lo, &hi, l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f(load_part(x + e, k), load_part(y + e, k), p, &l, &dx, &dy);
      if (w) l = wasm_f32x4_mul(l, load_part(w + e, k));
      sum += sum_part(l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

INLINE void walk2_backward(const float *x, const float *y, int n, int inner, int groups, const float *w,
                           const float *G, double *acc, float *gx, float *gy, float *gw, const params_t *p,
                           elem2_fn f) {
  int g = 0;
  const f32x4 one = splat(1.0f);
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 gv = splat(G[g]);
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy;
    for (; e + 4 <= end; e += 4) {
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), p, &l, &dx, &dy);
      f32x4 wv = w ? wasm_v128_load(w + e) : one;
      f32x4 gwv = wasm_f32x4_mul(gv, wv);
      wasm_v128_store(gx + e, wasm_f32x4_mul(dx, gwv));
      wasm_v128_store(gy + e, wasm_f32x4_mul(dy, gwv));
      if (gw) wasm_v128_store(gw + e, wasm_f32x4_mul(l, gv));
      add_f64(&lo, &hi, w ? wasm_f32x4_mul(l, wv) : l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f(load_part(x + e, k), load_part(y + e, k), p, &l, &dx, &dy);
      f32x4 wv = w ? load_part(w + e, k) : one;
      f32x4 gwv = wasm_f32x4_mul(gv, wv);
      store_part(gx + e, wasm_f32x4_mul(dx, gwv), k);
      store_part(gy + e, wasm_f32x4_mul(dy, gwv), k);
      if (gw) store_part(gw + e, wasm_f32x4_mul(l, gv), k);
      sum += sum_part(w ? wasm_f32x4_mul(l, wv) : l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

INLINE void walk3_forward(const float *x, const float *y, const float *z, int n, int inner, int groups,
                          const float *w, double *acc, const params_t *p, elem3_fn f) {
  int g = 0;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy, dz;
    for (; e + 4 <= end; e += 4) {
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), wasm_v128_load(z + e), p, &l, &dx, &dy, &dz);
      if (w) l = wasm_f32x4_mul(l, wasm_v128_load(w + e));
      add_f64(&lo, &hi, l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f(load_part(x + e, k), load_part(y + e, k), load_part(z + e, k), p, &l, &dx, &dy, &dz);
      if (w) l = wasm_f32x4_mul(l, load_part(w + e, k));
      sum += sum_part(l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

INLINE void walk3_backward(const float *x, const float *y, const float *z, int n, int inner, int groups,
                           const float *w, const float *G, double *acc, float *gx, float *gy, float *gz, float *gw,
                           const params_t *p, elem3_fn f) {
  int g = 0;
  const f32x4 one = splat(1.0f);
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 gv = splat(G[g]);
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy, dz;
    for (; e + 4 <= end; e += 4) {
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), wasm_v128_load(z + e), p, &l, &dx, &dy, &dz);
      f32x4 wv = w ? wasm_v128_load(w + e) : one;
      f32x4 gwv = wasm_f32x4_mul(gv, wv);
      wasm_v128_store(gx + e, wasm_f32x4_mul(dx, gwv));
      wasm_v128_store(gy + e, wasm_f32x4_mul(dy, gwv));
      wasm_v128_store(gz + e, wasm_f32x4_mul(dz, gwv));
      if (gw) wasm_v128_store(gw + e, wasm_f32x4_mul(l, gv));
      add_f64(&lo, &hi, w ? wasm_f32x4_mul(l, wv) : l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f(load_part(x + e, k), load_part(y + e, k), load_part(z + e, k), p, &l, &dx, &dy, &dz);
      f32x4 wv = w ? load_part(w + e, k) : one;
      f32x4 gwv = wasm_f32x4_mul(gv, wv);
      store_part(gx + e, wasm_f32x4_mul(dx, gwv), k);
      store_part(gy + e, wasm_f32x4_mul(dy, gwv), k);
      store_part(gz + e, wasm_f32x4_mul(dz, gwv), k);
      if (gw) store_part(gw + e, wasm_f32x4_mul(l, gv), k);
      sum += sum_part(w ? wasm_f32x4_mul(l, wv) : l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

/*
 * The same walks cut into units, for the multi-threaded variant: block b (of `inner`
 * elements, group b % groups) is cut into `pieces` pieces of `piece` elements (the last
 * shorter); unit u is piece u % pieces of block u / pieces. A thread runs units
 * [u0, u1) and writes each unit's sum to sums[u]; the caller adds them in unit order, so
 * the result does not depend on how the units were spread over threads.
 */
INLINE void units2_forward(const float *x, const float *y, int inner, const float *w, double *sums, int u0, int u1,
                           int pieces, int piece, const params_t *p, elem2_fn f) {
  for (int u = u0; u < u1; u++) {
    int q = u % pieces, off = (u / pieces) * inner + q * piece;
    int len = inner - q * piece < piece ? inner - q * piece : piece;
    sums[u] = 0.0;
    walk2_forward(x + off, y + off, len, len, 1, w ? w + off : 0, sums + u, p, f);
  }
}

INLINE void units2_backward(const float *x, const float *y, int inner, int groups, const float *w, const float *G,
                            double *sums, float *gx, float *gy, float *gw, int u0, int u1, int pieces, int piece,
                            const params_t *p, elem2_fn f) {
  for (int u = u0; u < u1; u++) {
    int b = u / pieces, q = u % pieces, off = b * inner + q * piece;
    int len = inner - q * piece < piece ? inner - q * piece : piece;
    sums[u] = 0.0;
    walk2_backward(x + off, y + off, len, len, 1, w ? w + off : 0, G + b % groups, sums + u, gx + off, gy + off,
                   gw ? gw + off : 0, p, f);
  }
}

/*
 * The exported kernels of a two-operand loss: NAME_forward and NAME_backward, with the
 * loss's scalars (up to four floats and a flag) passed by value, and their unit forms
 * NAME_forward_units and NAME_backward_units.
 */
#define ELEMENTWISE2(NAME, ELEM)                                                                                   \
  EXPORT(NAME##_forward)                                                                                           \
  (const float *x, const float *y, int n, int inner, int groups, const float *w, double *acc, float a, float b,    \
   float c, float d, int flag) {                                                                                   \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk2_forward(x, y, n, inner, groups, w, acc, &p, ELEM);                                                       \
  }                                                                                                                \
  EXPORT(NAME##_backward)                                                                                          \
  (const float *x, const float *y, int n, int inner, int groups, const float *w, const float *G, double *acc,      \
   float *gx, float *gy, float *gw, float a, float b, float c, float d, int flag) {                                \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk2_backward(x, y, n, inner, groups, w, G, acc, gx, gy, gw, &p, ELEM);                                       \
  }                                                                                                                \
  EXPORT(NAME##_forward_units)                                                                                     \
  (const float *x, const float *y, int inner, const float *w, double *sums, int u0, int u1, int pieces, int piece, \
   float a, float b, float c, float d, int flag) {                                                                 \
    params_t p = {a, b, c, d, flag};                                                                               \
    units2_forward(x, y, inner, w, sums, u0, u1, pieces, piece, &p, ELEM);                                         \
  }                                                                                                                \
  EXPORT(NAME##_backward_units)                                                                                    \
  (const float *x, const float *y, int inner, int groups, const float *w, const float *G, double *sums, float *gx, \
   float *gy, float *gw, int u0, int u1, int pieces, int piece, float a, float b, float c, float d, int flag) {    \
    params_t p = {a, b, c, d, flag};                                                                               \
    units2_backward(x, y, inner, groups, w, G, sums, gx, gy, gw, u0, u1, pieces, piece, &p, ELEM);                 \
  }

#define ELEMENTWISE3(NAME, ELEM)                                                                                   \
  EXPORT(NAME##_forward)                                                                                           \
  (const float *x, const float *y, const float *z, int n, int inner, int groups, const float *w, double *acc,      \
   float a, float b, float c, float d, int flag) {                                                                 \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk3_forward(x, y, z, n, inner, groups, w, acc, &p, ELEM);                                                    \
  }                                                                                                                \
  EXPORT(NAME##_backward)                                                                                          \
  (const float *x, const float *y, const float *z, int n, int inner, int groups, const float *w, const float *G,   \
   double *acc, float *gx, float *gy, float *gz, float *gw, float a, float b, float c, float d, int flag) {        \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk3_backward(x, y, z, n, inner, groups, w, G, acc, gx, gy, gz, gw, &p, ELEM);                                \
  }

/* Lane helpers shared by the losses. */
INLINE f32x4 select_f(v128_t mask, f32x4 yes, f32x4 no) { return wasm_v128_bitselect(yes, no, mask); }
/* 1.0 where the mask is set, else 0.0. */
INLINE f32x4 mask_one(v128_t mask) { return wasm_v128_and(mask, splat(1.0f)); }
/* sign(v): 1, -1 or 0 (0 for NaN), as mshadow's sign. */
INLINE f32x4 sign_f(f32x4 v) {
  return wasm_f32x4_sub(mask_one(wasm_f32x4_gt(v, splat(0.0f))), mask_one(wasm_f32x4_lt(v, splat(0.0f))));
}
/* relu that keeps NaN (max of SIMD128 propagates it). */
INLINE f32x4 relu_f(f32x4 v) { return wasm_f32x4_max(v, splat(0.0f)); }
/* relu's gradient factor as mshadow's relu_grad: 1 where v > 0, 0 elsewhere, NaN at NaN. */
INLINE f32x4 relu_grad_f(f32x4 v) { return select_f(wasm_f32x4_ne(v, v), v, mask_one(wasm_f32x4_gt(v, splat(0.0f)))); }

#endif
