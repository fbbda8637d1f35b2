/*
 * CTCLoss, as MXNet 1.9.1's CTCLoss operator computes it on the CPU (its bundled
 * warp-ctc), blank = the last channel; see src/losses/ctc.ts for the rules it keeps
 * (window of reachable states, skip rules that differ between alpha and beta, the
 * exactly-0.0 test on a channel's summed alpha*beta, loss 0 for a label that cannot fit,
 * +inf for a zero-length sequence). The arithmetic is warp-ctc's: float32 log-softmax
 * and recursions, and log_plus with exp and log1p in double (its unqualified C calls
 * take doubles), rounded once to float32.
 *
 * One call runs every sample; the caller zeroes `grad` (NULL forward) and gives G per
 * sample, by which each sample's gradient is scaled.
 */
#include "walk.h"

#define NEG_INF (-__builtin_inf())
#define NEG_INF_F (-__builtin_inff())

/* exp(x) in double for x <= 0 (the only arguments log_plus gives), within 1 ulp. */
static double exp_nonpositive(double x) {
  if (x != x) return x;
  /* Below this the double is subnormal or 0, and log_plus's float32 result the same as with 0. */
  if (x < -708.0) return 0.0;
  double k = __builtin_rint(x * 1.44269504088896338700e+00);
  double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  /* Taylor to r^13 on |r| <= 0.347: truncation below 2^-60. */
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = (p * r) * r + r + 1.0;
  union {
    double d;
    long long i;
  } scale = {.i = ((long long)k + 1023) << 52};
  return p * scale.d;
}

/* log1p(y) in double for y in [0, 1] (NaN passes), within 1 ulp. */
static double log1p_unit(double y) {
  double u = 1.0 + y;
  double c = (1.0 - u) + y; /* the rounding error of u, exact as |y| <= 1 */
  double m = u, e = 0.0;
  if (u > 1.41421356237309504880) {
    m = u * 0.5;
    e = 1.0;
  }
  double f = m - 1.0;
  double s = f / (2.0 + f), z = s * s;
  double R = 2.0 / 23.0;
  R = R * z + 2.0 / 21.0;
  R = R * z + 2.0 / 19.0;
  R = R * z + 2.0 / 17.0;
  R = R * z + 2.0 / 15.0;
  R = R * z + 2.0 / 13.0;
  R = R * z + 2.0 / 11.0;
  R = R * z + 2.0 / 9.0;
  R = R * z + 2.0 / 7.0;
  R = R * z + 2.0 / 5.0;
  R = R * z + 2.0 / 3.0;
  R *= z;
  double hfsq = 0.5 * f * f;
  double log_u = e * 1.90821492927058770002e-10 + s * (hfsq + R) - hfsq + f + e * 6.93147180369123816490e-01;
  return log_u + c / u;
}

/* log(exp(a) + exp(b)) of two float32 values, as warp-ctc's log_plus. */
static float log_plus(float a, float b) {
  if (a == NEG_INF_F) return b;
  if (b == NEG_INF_F) return a;
  float d = a - b;
  double m = a > b ? a : b;
  return (float)(log1p_unit(exp_nonpositive(-__builtin_fabs((double)d))) + m);
}

typedef struct {
  float *logp;
  int *extended, *start_step, *end_step;
  float *alpha, *beta, *output;
} workspace_t;

static void step_grad(const float *logp, const float *output, int c, int t, float ll, float *grad) {
  for (int k = 0; k < c; k++) {
    float lp = logp[t * c + k], o = output[k];
    float softmax = s_exp(lp);
    grad[k] = (o == 0.0f || o == NEG_INF_F || lp == NEG_INF_F) ? softmax : softmax - s_exp((o - lp) - ll);
  }
}

static double ctc_sample(const float *pred, int n, int T, int c, int time_major, int b, int steps,
                         const int *labels, int label_count, const workspace_t *ws, float *grad) {
  int blank = c - 1;
  int time_stride = time_major ? n * c : c;
  int offset = time_major ? b * c : b * T * c;
  int repeats = 0;
  for (int i = 1; i < label_count; i++)
    if (labels[i - 1] == labels[i]) repeats++;
  if (label_count + repeats > steps) return 0.0;
  if (steps == 0) return __builtin_inf();

  float *logp = ws->logp;
  for (int t = 0; t < steps; t++) {
    const float *x = pred + offset + t * time_stride;
    float max = NEG_INF_F;
    for (int k = 0; k < c; k++)
      if (x[k] > max) max = x[k];
    float denom = 0.0f;
    for (int k = 0; k < c; k++) denom += s_exp(x[k] - max);
    float log_denom = s_log(denom);
    for (int k = 0; k < c; k++) logp[t * c + k] = (x[k] - max) - log_denom;
  }

  int states = 2 * label_count + 1, min_steps = label_count + repeats;
  int *ext = ws->extended, *ss = ws->start_step, *es = ws->end_step;
  for (int i = 0; i < label_count; i++) {
    ext[2 * i] = blank;
    ext[2 * i + 1] = labels[i];
  }
  ext[states - 1] = blank;
  int sc = 0, ec = 0;
  ss[sc++] = 1;
  for (int i = 1; i < label_count; i++) {
    if (labels[i - 1] == labels[i]) {
      ss[sc++] = 1;
      ss[sc++] = 1;
      es[ec++] = 1;
      es[ec++] = 1;
    } else {
      ss[sc++] = 2;
      es[ec++] = 2;
    }
  }
  es[ec] = 1;

  float *alpha = ws->alpha;
  for (int i = 0; i < states * steps; i++) alpha[i] = NEG_INF_F;
  int start = min_steps - steps < 0 ? 0 : 1;
  int end = states > 1 ? 2 : 1;
  for (int i = start; i < end; i++) alpha[i] = logp[ext[i]];
  for (int t = 1; t < steps; t++) {
    int remain = min_steps - (steps - t);
    if (remain >= 0) start += ss[remain];
    if (t <= min_steps) end += es[t - 1];
    int column = t * states, previous = column - states, first = start;
    if (start == 0) {
      alpha[column] = alpha[previous] + logp[t * c + blank];
      first = 1;
    }
    for (int i = first; i < end; i++) {
      float sum = log_plus(alpha[previous + i], alpha[previous + i - 1]);
      int label = ext[i];
      if (label != blank && i != 1 && label != ext[i - 2]) sum = log_plus(sum, alpha[previous + i - 2]);
      alpha[column + i] = sum + logp[t * c + label];
    }
  }
  float ll = NEG_INF_F;
  for (int i = start; i < end; i++) ll = log_plus(ll, alpha[(steps - 1) * states + i]);
  if (!grad) return -(double)ll;

  float *beta = ws->beta, *output = ws->output;
  for (int i = 0; i < states; i++) beta[i] = NEG_INF_F;
  start = states > 1 ? states - 2 : 0;
  end = steps > min_steps ? states : states - 1;
  for (int k = 0; k < c; k++) output[k] = NEG_INF_F;
  int column = (steps - 1) * states;
  for (int i = start; i < end; i++) {
    int label = ext[i];
    beta[i] = logp[(steps - 1) * c + label];
    alpha[column + i] = alpha[column + i] + beta[i];
    output[label] = log_plus(alpha[column + i], output[label]);
  }
  step_grad(logp, output, c, steps - 1, ll, grad + offset + (steps - 1) * time_stride);
  for (int t = steps - 2; t >= 0; t--) {
    int remain = min_steps - (steps - t);
    if (remain >= -1) start -= ss[remain + 1];
    if (t < min_steps) end -= es[t];
    int last = end == states ? end - 1 : end;
    column = t * states;
    for (int k = 0; k < c; k++) output[k] = NEG_INF_F;
    for (int i = start; i < last; i++) {
      float sum = log_plus(beta[i], beta[i + 1]);
      int label = ext[i];
      if (label != blank && i != states - 2 && label != ext[i + 2]) sum = log_plus(sum, beta[i + 2]);
      beta[i] = sum + logp[t * c + label];
      alpha[column + i] = alpha[column + i] + beta[i];
      output[label] = log_plus(alpha[column + i], output[label]);
    }
    if (end == states) {
      beta[states - 1] = beta[states - 1] + logp[t * c + blank];
      alpha[column + states - 1] = alpha[column + states - 1] + beta[states - 1];
      output[blank] = log_plus(alpha[column + states - 1], output[blank]);
    }
    step_grad(logp, output, c, t, ll, grad + offset + t * time_stride);
  }
  return -(double)ll;
}

/*
 * labels: n rows of `width` int32 (each sample's labels, already cut at its length);
 * counts and steps: per sample. Workspace sized for the call's largest sample.
 */
EXPORT(ctc)
(const float *pred, int n, int T, int c, int time_major, const int *labels, const int *counts, const int *steps,
 int width, float *logp, int *extended, int *start_step, int *end_step, float *alpha, float *beta, float *output,
 const float *G, double *loss, float *grad) {
  workspace_t ws = {logp, extended, start_step, end_step, alpha, beta, output};
  for (int b = 0; b < n; b++) {
    loss[b] = ctc_sample(pred, n, T, c, time_major, b, steps[b], labels + b * width, counts[b], &ws, G ? grad : 0);
    if (!G) continue;
    float g = G[b];
    for (int t = 0; t < T; t++) {
      float *row = grad + (time_major ? (t * n + b) * c : (b * T + t) * c);
      for (int k = 0; k < c; k++) row[k] *= g;
    }
  }
}
