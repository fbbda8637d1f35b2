/*
 * TripletLoss: per sample, sum(square(positive - pred) - square(negative - pred)) over
 * the sample's elements (blocks of `inner`, block j in sample j % batch); the relu and
 * the margin are applied to those sums by the caller. Each element's term is rounded to
 * float32 step by step as MXNet's operators materialise it (two squares overflow to
 * Inf - Inf = NaN). The backward pass reads each sample's relu-masked G and writes the
 * three gradients in MXNet's order: `gp = G * (2 * dp)`, `gn = -(G * (2 * dn))` and
 * pred's `-gp - gn` (the sum of its two paths), so an intermediate overflows where MXNet's
 * does.
 */
#include "walk.h"

/* The smallest magnitude float32 rounds to Inf (2^128 - 2^103): the spec's FLOAT32_OVERFLOW. */
#define FLOAT32_OVERFLOW 3.4028235677973366e38

INLINE void triplet_elem(f32x4 x, f32x4 pos, f32x4 neg, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dpos,
                         f32x4 *dneg) {
  (void)p;
  (void)dx;
  (void)dpos;
  (void)dneg;
  f32x4 dp = wasm_f32x4_sub(pos, x);
  f32x4 dn = wasm_f32x4_sub(neg, x);
  *loss = wasm_f32x4_sub(wasm_f32x4_mul(dp, dp), wasm_f32x4_mul(dn, dn));
}

/* The per-sample sums in float64 SIMD lanes: for ordinary values, where no partial sum can overflow. */
EXPORT(triplet_forward)(const float *x, const float *pos, const float *neg, int n, int inner, int batch, double *acc) {
  params_t p = {0};
  walk3_forward(x, pos, neg, n, inner, batch, 0, acc, &p, triplet_elem);
}

/* Adds lanes 0..k-1 of v to sum in lane order, as one step each of mshadow's float32 sum. */
INLINE double add_float32(double sum, f32x4 v, int k) {
  float lanes[4];
  wasm_v128_store(lanes, v);
  for (int i = 0; i < k; i++) {
    sum += (double)lanes[i];
    // Once a partial sum leaves float32's range it is ±Inf for good (NaN fails the test).
    if (__builtin_fabs(sum) >= FLOAT32_OVERFLOW) sum *= __builtin_inf();
  }
  return sum;
}

/*
 * The same sums element by element, in float64 with float32's overflow (the spec's
 * addFloat32): for a call holding special values, where a partial sum can overflow.
 */
EXPORT(triplet_forward_f32)
(const float *x, const float *pos, const float *neg, int n, int inner, int batch, double *acc) {
  params_t p = {0};
  int b = 0;
  f32x4 l, unused;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    double sum = acc[b];
    for (; e + 4 <= end; e += 4) {
      triplet_elem(wasm_v128_load(x + e), wasm_v128_load(pos + e), wasm_v128_load(neg + e), &p, &l, &unused, &unused,
                   &unused);
      sum = add_float32(sum, l, 4);
    }
    if (e < end) {
      int k = end - e;
      triplet_elem(load_part(x + e, k), load_part(pos + e, k), load_part(neg + e, k), &p, &l, &unused, &unused,
                   &unused);
      sum = add_float32(sum, l, k);
    }
    acc[b] = sum;
    if (++b == batch) b = 0;
  }
}

INLINE void triplet_grad(f32x4 x, f32x4 pos, f32x4 neg, f32x4 g, f32x4 *gx, f32x4 *gp, f32x4 *gn) {
  f32x4 two = splat(2.0f);
  *gp = wasm_f32x4_mul(g, wasm_f32x4_mul(two, wasm_f32x4_sub(pos, x)));
  *gn = wasm_f32x4_neg(wasm_f32x4_mul(g, wasm_f32x4_mul(two, wasm_f32x4_sub(neg, x))));
  *gx = wasm_f32x4_sub(wasm_f32x4_neg(*gp), *gn);
}

/* G: the relu-masked head gradient per sample. */
EXPORT(triplet_backward)
(const float *x, const float *pos, const float *neg, int n, int inner, int batch, const float *G, float *gx, float *gp,
 float *gn) {
  int b = 0;
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 g = splat(G[b]), vx, vp, vn;
    for (; e + 4 <= end; e += 4) {
      triplet_grad(wasm_v128_load(x + e), wasm_v128_load(pos + e), wasm_v128_load(neg + e), g, &vx, &vp, &vn);
      wasm_v128_store(gx + e, vx);
      wasm_v128_store(gp + e, vp);
      wasm_v128_store(gn + e, vn);
    }
    if (e < end) {
      int k = end - e;
      triplet_grad(load_part(x + e, k), load_part(pos + e, k), load_part(neg + e, k), g, &vx, &vp, &vn);
      store_part(gx + e, vx, k);
      store_part(gp + e, vp, k);
      store_part(gn + e, vn, k);
    }
    if (++b == batch) b = 0;
  }
}
