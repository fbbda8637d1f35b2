/*
 * SDMLLoss, as MXNet 1.9.1 computes it: d[i][j] = sum_k (x1[i][k] - x2[j][k])^2,
 * logp = log_softmax(-d, axis 1), loss[i] = sum_j z_ij (log(z_ij + 1e-12) - logp_ij)
 * against the smoothed identity z (diag on the diagonal, off elsewhere, computed by the
 * caller with MXNet's arithmetic). float32 throughout, as MXNet; `logp` is N*N scratch.
 * A row's loss sums in float64 with MXNet's float32 overflow (add_float32).
 * Backward: dlogp = -g_i z_ij, through log_softmax, then d = sum of squares.
 */
#include "rows.h"

INLINE float sq_dist(const float *a, const float *b, int dim) {
  f32x4 s = splat(0.0f);
  int k = 0;
  for (; k + 4 <= dim; k += 4) {
    f32x4 d = wasm_f32x4_sub(wasm_v128_load(a + k), wasm_v128_load(b + k));
    s = wasm_f32x4_add(s, wasm_f32x4_mul(d, d));
  }
  float sum = hsum(s);
  for (; k < dim; k++) {
    float d = a[k] - b[k];
    sum += d * d;
  }
  return sum;
}

EXPORT(sdml)
(const float *x1, const float *x2, int batch, int dim, float diag, float off, const float *G, double *loss,
 float *logp, float *g1, float *g2) {
  float logDiag = s_log(diag + 1e-12f), logOff = s_log(off + 1e-12f);
  for (int i = 0; i < batch; i++) {
    float *row = logp + i * batch;
    for (int j = 0; j < batch; j++) row[j] = -sq_dist(x1 + i * dim, x2 + j * dim, dim);
    float max = row_max(row, batch, 1);
    /* (x - max) - log(sum), MXNet's order: max + log(sum) rounds the log away when the
       max is large (a far row's -5000 has a float32 ulp of 0.0005). */
    float log_sum = s_log(row_sum_exp(row, batch, 1, max, 0));
    double sum = 0.0;
    for (int j = 0; j < batch; j++) {
      row[j] = (row[j] - max) - log_sum;
      float z = i == j ? diag : off;
      sum = add_float32(sum, z * ((i == j ? logDiag : logOff) - row[j]));
    }
    loss[i] = sum;
  }
  if (!G) return;
  for (int e = 0; e < batch * dim; e++) g1[e] = g2[e] = 0.0f;
  for (int i = 0; i < batch; i++) {
    float g = G[i];
    float sum = 0.0f;
    for (int j = 0; j < batch; j++) sum += -g * (i == j ? diag : off);
    const float *a = x1 + i * dim;
    for (int j = 0; j < batch; j++) {
      float dz = -g * (i == j ? diag : off) - s_exp(logp[i * batch + j]) * sum;
      /* z = -d: dd = -dz; square's backward is dd * (2 * (x1 - x2)), MXNet's order: 2 * diff
         is a float32 tensor there, Inf past float32's range, where 2 * dd times diff is not. */
      f32x4 dd = splat(-dz);
      const float *b = x2 + j * dim;
      float *ga = g1 + i * dim, *gb = g2 + j * dim;
      int k = 0;
      for (; k + 4 <= dim; k += 4) {
        f32x4 diff = wasm_f32x4_sub(wasm_v128_load(a + k), wasm_v128_load(b + k));
        f32x4 t = wasm_f32x4_mul(dd, wasm_f32x4_add(diff, diff));
        wasm_v128_store(ga + k, wasm_f32x4_add(wasm_v128_load(ga + k), t));
        wasm_v128_store(gb + k, wasm_f32x4_sub(wasm_v128_load(gb + k), t));
      }
      for (; k < dim; k++) {
        float diff = a[k] - b[k];
        float t = -dz * (diff + diff);
        ga[k] += t;
        gb[k] -= t;
      }
    }
  }
}
