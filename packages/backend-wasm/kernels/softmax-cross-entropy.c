/*
 * SoftmaxCrossEntropyLoss: -pick(log_softmax(pred, axis), label) (sparse) or
 * -sum(log_softmax(pred, axis) * label, axis) (dense); with from_logits pred already is
 * the log-probability. One fused pass per row: max, exp and sum (the exps kept in the
 * gradient row), the loss, then the gradient scaled in place. The loss of each (outer,
 * inner) position goes to `loss` (float64, unweighted); G (NULL forward) is per position.
 *
 * `ordered` (a call holding special values) adds every row sum one term at a time, as
 * MXNet's float32 sums do, so that a partial sum overflows to Inf (and stays there) where
 * MXNet's does; otherwise four lanes at a time. Each step is MXNet's operator: the
 * gradient of logp is `-G * label` (or -G at the picked class, 0 elsewhere), and
 * log_softmax's backward is `dlogp - softmax * sum(dlogp)`, so an intermediate (the sum of
 * the labels, `softmax - 1`) never overflows or meets an infinite G where MXNet's does not.
 *
 * A sparse label is cast to int32 toward zero (a value outside int32, or NaN, becomes
 * INT_MIN, as the x86 conversion gives) and clipped into [0, classes - 1]: MXNet's pick.
 */
#include "rows.h"

INLINE int pick_index(float label, int classes) {
  int index = (label > -2147483904.0f && label < 2147483648.0f) ? (int)label : (int)0x80000000u;
  return index <= 0 ? 0 : index >= classes ? classes - 1 : index;
}

EXPORT(softmax_ce_sparse)
(const float *x, const float *label, int outer, int classes, int inner, int fromLogits, int ordered,
 const float *G, double *loss, float *gx) {
  (void)ordered; /* a sparse row has no order-dependent sum: max and the exps' sum are at most `classes` */
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      int base = o * classes * inner + i, element = o * inner + i;
      int target = pick_index(label[element], classes);
      const float *row = x + base;
      float picked = row[target * inner];
      if (fromLogits) {
        loss[element] = -picked;
        if (G) {
          for (int c = 0; c < classes; c++) gx[base + c * inner] = 0.0f;
          gx[base + target * inner] = -G[element];
        }
        continue;
      }
      float max = row_max(row, classes, inner);
      float sum = row_sum_exp(row, classes, inner, max, G ? gx + base : 0);
      loss[element] = -((picked - max) - s_log(sum));
      if (G) {
        float g = G[element];
        float et = gx[base + target * inner];
        /* dlogp = -g at the target: dx_c = 0 - softmax_c * (-g), and dx_target = -g - softmax_t * (-g)
           (an infinite g gives NaN there, as in MXNet, not (softmax_t - 1) * g). */
        float scale = g / sum;
        row_scale(gx + base, classes, inner, scale);
        gx[base + target * inner] = et * scale - g;
      }
    }
  }
}

EXPORT(softmax_ce_dense)
(const float *x, const float *label, int outer, int classes, int inner, int fromLogits, int ordered,
 const float *G, double *loss, float *gx, float *glabel) {
  const int vec = inner == 1 && !ordered;
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      int base = o * classes * inner + i, element = o * inner + i;
      const float *row = x + base, *z = label + base;
      float max = 0.0f, logSum = 0.0f, sum = 1.0f;
      if (!fromLogits) {
        max = row_max(row, classes, inner);
        sum = row_sum_exp(row, classes, inner, max, G ? gx + base : 0);
        logSum = s_log(sum);
      }
      float g = G ? G[element] : 0.0f;
      /* logp = (x - max) - log(sum), MXNet's order; dot = sum(logp * label); dsum = sum(-g * label). */
      f32x4 dotv = splat(0.0f), dsv = splat(0.0f);
      double dot = 0.0;
      float dsum = 0.0f;
      int c = 0;
      if (vec) {
        f32x4 mv = splat(max), lv = splat(logSum), gv = splat(-g);
        for (; c + 4 <= classes; c += 4) {
          f32x4 logp = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(row + c), mv), lv);
          f32x4 zc = wasm_v128_load(z + c);
          dotv = wasm_f32x4_add(dotv, wasm_f32x4_mul(logp, zc));
          if (G) {
            dsv = wasm_f32x4_add(dsv, wasm_f32x4_mul(gv, zc));
            wasm_v128_store(glabel + base + c, wasm_f32x4_mul(gv, logp));
          }
        }
        dot = hsum(dotv);
        dsum = hsum(dsv);
      }
      for (; c < classes; c++) {
        float logp = (row[c * inner] - max) - logSum, zc = z[c * inner];
        dot = add_float32(dot, logp * zc);
        if (G) {
          dsum += -g * zc;
          glabel[base + c * inner] = -g * logp;
        }
      }
      loss[element] = -dot;
      if (!G) continue;
      if (fromLogits) {
        for (int k = 0; k < classes; k++) gx[base + k * inner] = -g * z[k * inner];
        continue;
      }
      /* log_softmax backward of dlogp = -g label: dx = dlogp - softmax * dsum, softmax = exp / sum. */
      float scale = dsum / sum;
      int k = 0;
      if (inner == 1) {
        f32x4 sv = splat(scale), gv = splat(-g);
        for (; k + 4 <= classes; k += 4) {
          f32x4 v = wasm_f32x4_sub(wasm_f32x4_mul(gv, wasm_v128_load(z + k)),
                                   wasm_f32x4_mul(wasm_v128_load(gx + base + k), sv));
          wasm_v128_store(gx + base + k, v);
        }
      }
      for (; k < classes; k++) gx[base + k * inner] = -g * z[k * inner] - gx[base + k * inner] * scale;
    }
  }
}

/* log_softmax along the rows into `out` (float32, as MXNet stores it). */
EXPORT(log_softmax)(const float *x, int outer, int classes, int inner, float *out) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      int base = o * classes * inner + i;
      const float *row = x + base;
      float max = row_max(row, classes, inner);
      float logSum = s_log(row_sum_exp(row, classes, inner, max, 0));
      /* (x - max) - log(sum), MXNet's order: max + log(sum) loses the log against a large max. */
      for (int c = 0; c < classes; c++) out[base + c * inner] = (row[c * inner] - max) - logSum;
    }
  }
}

/* dx = dlogp - exp(logp) * sum(dlogp) along the rows. */
EXPORT(log_softmax_backward)(const float *logp, const float *glogp, int outer, int classes, int inner, float *out) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      int base = o * classes * inner + i;
      float sum = 0.0f;
      for (int c = 0; c < classes; c++) sum += glogp[base + c * inner];
      int c = 0;
      if (inner == 1) {
        f32x4 sv = splat(sum);
        for (; c + 4 <= classes; c += 4) {
          f32x4 v = wasm_f32x4_sub(wasm_v128_load(glogp + base + c),
                                   wasm_f32x4_mul(v_exp(wasm_v128_load(logp + base + c)), sv));
          wasm_v128_store(out + base + c, v);
        }
      }
      for (; c < classes; c++) out[base + c * inner] = glogp[base + c * inner] - s_exp(logp[base + c * inner]) * sum;
    }
  }
}
