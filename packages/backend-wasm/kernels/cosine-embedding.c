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

/*
 * The same two passes in MXNet's own float32 arithmetic, bit for bit, for a call holding
 * special values (NaN, ±Inf, overflow; chosen once per call by the caller): there the
 * class of the result (finite, ±Inf, NaN) hangs on the last bit of MXNet's sums, which
 * the float64 passes above round otherwise. Scalar and sequential, as MXNet's are.
 */

/* ±Inf only (NaN is not infinite). */
INLINE int is_infinite(float v) { return __builtin_fabsf(v) == __builtin_inff(); }

/* mshadow's float32 Kahan sum, one term: the compensation stops once the sum is ±Inf. */
INLINE void kahan_add(float *sum, float *residual, float value) {
  float term = value - *residual;
  float next = *sum + term;
  *residual = is_infinite(next) ? 0.0f : (next - *sum) - term;
  *sum = next;
}

/*
 * One step of mshadow's nrm2 reducer: `scale` is the largest |v| so far (`scale < |v|` as
 * mshadow tests it, so a NaN never becomes the scale), `ssq` the sum of squares divided
 * by scale^2. Zeros are skipped; a NaN makes ssq NaN; the first Inf makes scale Inf and
 * ssq 1, a second one adds (Inf/Inf)^2 = NaN. The norm is `scale * sqrt(ssq)`.
 */
INLINE void nrm2_add(float *ssq, float *scale, float v) {
  if (v == 0.0f) return;
  float a = __builtin_fabsf(v);
  if (*scale < a) {
    float r = *scale / a;
    *ssq = 1.0f + (*ssq * r) * r;
    *scale = a;
  } else {
    float r = a / *scale;
    *ssq = *ssq + r * r;
  }
}

/* Per row: the Kahan dot of the float32 products and mshadow's nrm2 of each vector. */
EXPORT(cosine_stats_f32)(const float *x, const float *y, int rows, int dim, float *dot, float *nx, float *ny) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * dim, *yr = y + r * dim;
    float sum = 0.0f, residual = 0.0f, ssqx = 0.0f, scalex = 0.0f, ssqy = 0.0f, scaley = 0.0f;
    for (int k = 0; k < dim; k++) {
      kahan_add(&sum, &residual, xr[k] * yr[k]);
      nrm2_add(&ssqx, &scalex, xr[k]);
      nrm2_add(&ssqy, &scaley, yr[k]);
    }
    dot[r] = sum;
    nx[r] = scalex * __builtin_sqrtf(ssqx);
    ny[r] = scaley * __builtin_sqrtf(ssqy);
  }
}

/*
 * coef per row: gDot, gNormX, |x|, gNormY, |y| (five float32 values); each gradient is
 * MXNet's sum of its two float32 terms, `gDot y + gNormX (x / |x|)`.
 */
EXPORT(cosine_grad_f32)(const float *x, const float *y, int rows, int dim, const float *coef, float *gx, float *gy) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * dim, *yr = y + r * dim;
    const float *c = coef + 5 * r;
    float gDot = c[0], gNx = c[1], nx = c[2], gNy = c[3], ny = c[4];
    for (int k = 0; k < dim; k++) {
      gx[r * dim + k] = gDot * yr[k] + gNx * (xr[k] / nx);
      gy[r * dim + k] = gDot * xr[k] + gNy * (yr[k] / ny);
    }
  }
}
