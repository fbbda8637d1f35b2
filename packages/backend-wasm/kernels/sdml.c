/*
 * SDMLLoss, as MXNet 1.9.1 computes it: d[i][j] = sum_k (x1[i][k] - x2[j][k])^2,
 * logp = log_softmax(-d, axis 1), loss[i] = sum_j z_ij (log(z_ij + 1e-12) - logp_ij)
 * against the smoothed identity z (diag on the diagonal, off elsewhere, computed by the
 * caller with MXNet's arithmetic); `logp` is N*N scratch, float32 as MXNet's. Each distance
 * is mshadow's Kahan sum (sq_dist), a row's loss sums in float64 with MXNet's float32
 * overflow (add_float32), and the backward runs in float64 (sdml_backward, `wide` its
 * scratch): float32 four-lane distances and float32 gradient sums were 3e-3 off MXNet's
 * gradient on a far batch of 101 (nightly seed 202612021, SDML case 133).
 * Backward: dlogp = -g_i z_ij, through log_softmax, then d = sum of squares.
 */
#include "rows.h"

/* value as a float32 tensor holds it: +-Inf past float32's range (NaN stays NaN). */
INLINE double float32_range(double value) {
  return __builtin_fabs(value) < FLOAT32_OVERFLOW ? value : value * __builtin_inf();
}

/*
 * The squared distance: MXNet's float32 sum (mshadow's
 * Kahan-compensated reducer, whose compensation stops once the sum is infinite), one
 * term at a time in order. Large entries make a row's distances close to each other (and
 * the loss a cancellation of them), so which of them round equal decides the loss: four
 * lane sums, a plain float32 sum and a float64 one each round some of them otherwise.
 */
INLINE float sq_dist(const float *a, const float *b, int dim) {
  float sum = 0.0f, residual = 0.0f;
  for (int k = 0; k < dim; k++) {
    float d = a[k] - b[k];
    float y = d * d - residual;
    float t = sum + y;
    residual = __builtin_isinf(t) ? 0.0f : (t - sum) - y;
    sum = t;
  }
  return sum;
}

/*
 * The backward, in float64 with float32's overflow. With large x the distance gradient is a cancellation: x1's gradient
 * sum_j dd[i][j] * 2 * (x1[i][k] - x2[j][k]) holds 2 * x1[i][k] * sum_j dd[i][j], where
 * sum_j dd[i][j] = sum(dlogp) * (sum_j softmax[i][j] - 1) is 0 in exact arithmetic; a
 * float32 softmax makes it rounding noise times |x1|, far from both MXNet's own noise and
 * the float64 result. So the softmax is exp(logp) normalised in float64 (its sum is 1 to
 * float64 rounding). `wide` is 2 * batch * dim float64 scratch plus batch for the softmax row.
 */
static void sdml_backward(const float *x1, const float *x2, int batch, int dim, float diag, float off,
                               const float *G, const float *logp, double *wide, float *g1, float *g2) {
  int size = batch * dim;
  double *w1 = wide, *w2 = wide + size, *softmax = wide + 2 * size;
  for (int e = 0; e < size; e++) w1[e] = w2[e] = 0.0;
  for (int i = 0; i < batch; i++) {
    double g = G[i], sum = 0.0, total = 0.0;
    for (int j = 0; j < batch; j++) sum += -(g * (i == j ? diag : off));
    for (int j = 0; j < batch; j++) total += softmax[j] = (double)s_exp(logp[i * batch + j]);
    const float *a = x1 + i * dim;
    for (int j = 0; j < batch; j++) {
      double dd = -(-(g * (i == j ? diag : off)) - (softmax[j] / total) * sum);
      const float *b = x2 + j * dim;
      double *wa = w1 + i * dim, *wb = w2 + j * dim;
      for (int k = 0; k < dim; k++) {
        double term = float32_range(dd * float32_range(2.0 * (double)(a[k] - b[k])));
        wa[k] = float32_range(wa[k] + term);
        wb[k] = float32_range(wb[k] - term);
      }
    }
  }
  for (int e = 0; e < size; e++) {
    g1[e] = (float)w1[e];
    g2[e] = (float)w2[e];
  }
}

EXPORT(sdml)
(const float *x1, const float *x2, int batch, int dim, float diag, float off, const float *G, double *loss,
 float *logp, float *g1, float *g2, double *wide) {
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
  if (G) sdml_backward(x1, x2, batch, dim, diag, off, G, logp, wide, g1, g2);
}
