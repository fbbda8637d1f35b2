/*
 * walk.h's walks for element functions that take the head gradient. MXNet's autograd
 * multiplies the head gradient in at the top of each chain: PoissonNLL's log gradient is
 * (g t) (1/x), not g (t/x), and 1/x overflows to Inf at a tiny x where t/x stays finite;
 * g 0 is NaN once g is Inf. An element function written in MXNet's order of float32
 * operations therefore needs g: it gets `gw` = G times the element's sample_weight (one
 * float32 product, as MXNet forms it) and returns finished gradients. Everything else
 * (layout, accumulators, partial vectors, units for threads) is walk.h's; the forward
 * walks run the same function with gw = 1, whose gradient work the compiler removes.
 */
#ifndef GLUON_CHAIN_H
#define GLUON_CHAIN_H

#include "walk.h"

typedef void (*chain2_fn)(f32x4 x, f32x4 y, f32x4 gw, const params_t *p, f32x4 *loss, f32x4 *gx, f32x4 *gy);
typedef void (*chain3_fn)(f32x4 x, f32x4 y, f32x4 z, f32x4 gw, const params_t *p, f32x4 *loss, f32x4 *gx,
                          f32x4 *gy, f32x4 *gz);

INLINE void chain2_backward(const float *x, const float *y, int n, int inner, int groups, const float *w,
                            const float *G, double *acc, float *gx, float *gy, float *gw, const params_t *p,
                            chain2_fn f) {
  int g = 0;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 gv = splat(G[g]);
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy;
    for (; e + 4 <= end; e += 4) {
      f32x4 wv = w ? wasm_v128_load(w + e) : splat(1.0f);
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), w ? wasm_f32x4_mul(gv, wv) : gv, p, &l, &dx, &dy);
      wasm_v128_store(gx + e, dx);
      wasm_v128_store(gy + e, dy);
      if (gw) wasm_v128_store(gw + e, wasm_f32x4_mul(l, gv));
      add_f64(&lo, &hi, w ? wasm_f32x4_mul(l, wv) : l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f32x4 wv = w ? load_part(w + e, k) : splat(1.0f);
      f(load_part(x + e, k), load_part(y + e, k), w ? wasm_f32x4_mul(gv, wv) : gv, p, &l, &dx, &dy);
      store_part(gx + e, dx, k);
      store_part(gy + e, dy, k);
      if (gw) store_part(gw + e, wasm_f32x4_mul(l, gv), k);
      sum += sum_part(w ? wasm_f32x4_mul(l, wv) : l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

/* The per-element layout (inner = 1, no sample_weight in the walk, one G per element):
 * four elements per vector with their own G, where chain2_backward would take them one
 * by one. */
INLINE void chain2_backward_elements(const float *x, const float *y, int n, const float *G, double *acc, float *gx,
                                     float *gy, const params_t *p, chain2_fn f) {
  int e = 0;
  f32x4 l, dx, dy;
  for (; e + 4 <= n; e += 4) {
    f(wasm_v128_load(x + e), wasm_v128_load(y + e), wasm_v128_load(G + e), p, &l, &dx, &dy);
    wasm_v128_store(gx + e, dx);
    wasm_v128_store(gy + e, dy);
    wasm_v128_store(acc + e, wasm_f64x2_promote_low_f32x4(l));
    wasm_v128_store(acc + e + 2, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(l, l, 2, 3, 0, 1)));
  }
  if (e < n) {
    int k = n - e;
    f(load_part(x + e, k), load_part(y + e, k), load_part(G + e, k), p, &l, &dx, &dy);
    store_part(gx + e, dx, k);
    store_part(gy + e, dy, k);
    acc[e] = wasm_f32x4_extract_lane(l, 0);
    if (k > 1) acc[e + 1] = wasm_f32x4_extract_lane(l, 1);
    if (k > 2) acc[e + 2] = wasm_f32x4_extract_lane(l, 2);
  }
}

INLINE void chain2_units_backward(const float *x, const float *y, int inner, int groups, const float *w,
                                  const float *G, double *sums, float *gx, float *gy, float *gw, int u0, int u1,
                                  int pieces, int piece, const params_t *p, chain2_fn f) {
  for (int u = u0; u < u1; u++) {
    int b = u / pieces, q = u % pieces, off = b * inner + q * piece;
    int len = inner - q * piece < piece ? inner - q * piece : piece;
    sums[u] = 0.0;
    chain2_backward(x + off, y + off, len, len, 1, w ? w + off : 0, G + b % groups, sums + u, gx + off, gy + off,
                    gw ? gw + off : 0, p, f);
  }
}

INLINE void chain3_backward(const float *x, const float *y, const float *z, int n, int inner, int groups,
                            const float *w, const float *G, double *acc, float *gx, float *gy, float *gz, float *gw,
                            const params_t *p, chain3_fn f) {
  int g = 0;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 gv = splat(G[g]);
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy, dz;
    for (; e + 4 <= end; e += 4) {
      f32x4 wv = w ? wasm_v128_load(w + e) : splat(1.0f);
      f(wasm_v128_load(x + e), wasm_v128_load(y + e), wasm_v128_load(z + e), w ? wasm_f32x4_mul(gv, wv) : gv, p, &l,
        &dx, &dy, &dz);
      wasm_v128_store(gx + e, dx);
      wasm_v128_store(gy + e, dy);
      wasm_v128_store(gz + e, dz);
      if (gw) wasm_v128_store(gw + e, wasm_f32x4_mul(l, gv));
      add_f64(&lo, &hi, w ? wasm_f32x4_mul(l, wv) : l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f32x4 wv = w ? load_part(w + e, k) : splat(1.0f);
      f(load_part(x + e, k), load_part(y + e, k), load_part(z + e, k), w ? wasm_f32x4_mul(gv, wv) : gv, p, &l, &dx,
        &dy, &dz);
      store_part(gx + e, dx, k);
      store_part(gy + e, dy, k);
      store_part(gz + e, dz, k);
      if (gw) store_part(gw + e, wasm_f32x4_mul(l, gv), k);
      sum += sum_part(w ? wasm_f32x4_mul(l, wv) : l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}

/*
 * The exported kernels of ELEMENTWISE2 (same names, same arguments) for a chain element
 * function. NAME_backward takes the per-element layout (inner = 1, groups = n, no
 * sample_weight) four elements at a time.
 */
#define ELEMENTWISE2_CHAIN(NAME, ELEM)                                                                             \
  INLINE void NAME##_loss(f32x4 x, f32x4 y, const params_t *p, f32x4 *l, f32x4 *dx, f32x4 *dy) {                  \
    ELEM(x, y, splat(1.0f), p, l, dx, dy);                                                                         \
  }                                                                                                                \
  EXPORT(NAME##_forward)                                                                                           \
  (const float *x, const float *y, int n, int inner, int groups, const float *w, double *acc, float a, float b,    \
   float c, float d, int flag) {                                                                                   \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk2_forward(x, y, n, inner, groups, w, acc, &p, NAME##_loss);                                                \
  }                                                                                                                \
  EXPORT(NAME##_backward)                                                                                          \
  (const float *x, const float *y, int n, int inner, int groups, const float *w, const float *G, double *acc,      \
   float *gx, float *gy, float *gw, float a, float b, float c, float d, int flag) {                                \
    params_t p = {a, b, c, d, flag};                                                                               \
    if (inner == 1 && groups == n && !w && !gw)                                                                    \
      chain2_backward_elements(x, y, n, G, acc, gx, gy, &p, ELEM);                                                 \
    else                                                                                                           \
      chain2_backward(x, y, n, inner, groups, w, G, acc, gx, gy, gw, &p, ELEM);                                    \
  }                                                                                                                \
  EXPORT(NAME##_forward_units)                                                                                     \
  (const float *x, const float *y, int inner, const float *w, double *sums, int u0, int u1, int pieces, int piece, \
   float a, float b, float c, float d, int flag) {                                                                 \
    params_t p = {a, b, c, d, flag};                                                                               \
    units2_forward(x, y, inner, w, sums, u0, u1, pieces, piece, &p, NAME##_loss);                                  \
  }                                                                                                                \
  EXPORT(NAME##_backward_units)                                                                                    \
  (const float *x, const float *y, int inner, int groups, const float *w, const float *G, double *sums, float *gx, \
   float *gy, float *gw, int u0, int u1, int pieces, int piece, float a, float b, float c, float d, int flag) {    \
    params_t p = {a, b, c, d, flag};                                                                               \
    chain2_units_backward(x, y, inner, groups, w, G, sums, gx, gy, gw, u0, u1, pieces, piece, &p, ELEM);           \
  }

/* ELEMENTWISE3's kernels for a chain element function. */
#define ELEMENTWISE3_CHAIN(NAME, ELEM)                                                                             \
  INLINE void NAME##_loss(f32x4 x, f32x4 y, f32x4 z, const params_t *p, f32x4 *l, f32x4 *dx, f32x4 *dy,           \
                          f32x4 *dz) {                                                                             \
    ELEM(x, y, z, splat(1.0f), p, l, dx, dy, dz);                                                                  \
  }                                                                                                                \
  EXPORT(NAME##_forward)                                                                                           \
  (const float *x, const float *y, const float *z, int n, int inner, int groups, const float *w, double *acc,      \
   float a, float b, float c, float d, int flag) {                                                                 \
    params_t p = {a, b, c, d, flag};                                                                               \
    walk3_forward(x, y, z, n, inner, groups, w, acc, &p, NAME##_loss);                                             \
  }                                                                                                                \
  EXPORT(NAME##_backward)                                                                                          \
  (const float *x, const float *y, const float *z, int n, int inner, int groups, const float *w, const float *G,   \
   double *acc, float *gx, float *gy, float *gz, float *gw, float a, float b, float c, float d, int flag) {        \
    params_t p = {a, b, c, d, flag};                                                                               \
    chain3_backward(x, y, z, n, inner, groups, w, G, acc, gx, gy, gz, gw, &p, ELEM);                               \
  }

#endif
