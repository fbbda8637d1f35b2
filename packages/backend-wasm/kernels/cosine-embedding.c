/*
 * CosineEmbeddingLoss's row passes; the per-row cosine, hinge and their gradients are a
 * few scalars per row, done by the caller. Both passes run in float64 pairs: the row
 * statistics (dot, |x|^2, |y|^2) accumulate exact float32 products, and the gradient
 * `gDot y + gNormX x / |x|` keeps MXNet's 0/0 = NaN for a zero row (x / |x|).
 */
#include "walk.h"

INLINE v128_t lo_f64(f32x4 v) { return wasm_f64x2_promote_low_f32x4(v); }
INLINE v128_t hi_f64(f32x4 v) { return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)); }
INLINE double hsum2(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

EXPORT(cosine_stats)(const float *x, const float *y, int rows, int dim, double *dot, double *xx, double *yy) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * dim, *yr = y + r * dim;
    v128_t d = wasm_f64x2_splat(0.0), a = d, b = d;
    int k = 0;
    for (; k + 4 <= dim; k += 4) {
      f32x4 xv = wasm_v128_load(xr + k), yv = wasm_v128_load(yr + k);
      v128_t xl = lo_f64(xv), xh = hi_f64(xv), yl = lo_f64(yv), yh = hi_f64(yv);
      d = wasm_f64x2_add(d, wasm_f64x2_add(wasm_f64x2_mul(xl, yl), wasm_f64x2_mul(xh, yh)));
      a = wasm_f64x2_add(a, wasm_f64x2_add(wasm_f64x2_mul(xl, xl), wasm_f64x2_mul(xh, xh)));
      b = wasm_f64x2_add(b, wasm_f64x2_add(wasm_f64x2_mul(yl, yl), wasm_f64x2_mul(yh, yh)));
    }
    double ds = hsum2(d), as = hsum2(a), bs = hsum2(b);
    for (; k < dim; k++) {
      double xk = xr[k], yk = yr[k];
      ds += xk * yk;
      as += xk * xk;
      bs += yk * yk;
    }
    dot[r] = ds;
    xx[r] = as;
    yy[r] = bs;
  }
}

/* coef per row: gDot, gNormX, |x|, gNormY, |y| (five float64 values). */
EXPORT(cosine_grad)(const float *x, const float *y, int rows, int dim, const double *coef, float *gx, float *gy) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * dim, *yr = y + r * dim;
    const double *c = coef + 5 * r;
    v128_t gDot = wasm_f64x2_splat(c[0]), gNx = wasm_f64x2_splat(c[1]), nx = wasm_f64x2_splat(c[2]);
    v128_t gNy = wasm_f64x2_splat(c[3]), ny = wasm_f64x2_splat(c[4]);
    int k = 0;
    for (; k + 2 <= dim; k += 2) {
      v128_t xv = wasm_f64x2_make(xr[k], xr[k + 1]), yv = wasm_f64x2_make(yr[k], yr[k + 1]);
      v128_t a = wasm_f64x2_add(wasm_f64x2_mul(gDot, yv), wasm_f64x2_mul(gNx, wasm_f64x2_div(xv, nx)));
      v128_t b = wasm_f64x2_add(wasm_f64x2_mul(gDot, xv), wasm_f64x2_mul(gNy, wasm_f64x2_div(yv, ny)));
      gx[r * dim + k] = (float)wasm_f64x2_extract_lane(a, 0);
      gx[r * dim + k + 1] = (float)wasm_f64x2_extract_lane(a, 1);
      gy[r * dim + k] = (float)wasm_f64x2_extract_lane(b, 0);
      gy[r * dim + k + 1] = (float)wasm_f64x2_extract_lane(b, 1);
    }
    for (; k < dim; k++) {
      double xk = xr[k], yk = yr[k];
      gx[r * dim + k] = (float)(c[0] * yk + c[1] * (xk / c[2]));
      gy[r * dim + k] = (float)(c[0] * xk + c[3] * (yk / c[4]));
    }
  }
}
