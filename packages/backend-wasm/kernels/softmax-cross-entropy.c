/*
 * SoftmaxCrossEntropyLoss: -pick(log_softmax(pred, axis), label) (sparse) or
 * -sum(log_softmax(pred, axis) * label, axis) (dense); with from_logits pred already is
 * the log-probability. One fused pass per row: max, exp and sum (the exps kept in the
 * gradient row), the loss, then the gradient scaled in place. The loss of each (outer,
 * inner) position goes to `loss` (float64, unweighted); G (NULL forward) is per position.
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
(const float *x, const float *label, int outer, int classes, int inner, int fromLogits, const float *G,
 double *loss, float *gx) {
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
        /* d/dx_c of -log_softmax(x)[target] = softmax_c - [c == target]. */
        row_scale(gx + base, classes, inner, g / sum);
        gx[base + target * inner] = (et / sum - 1.0f) * g;
      }
    }
  }
}

EXPORT(softmax_ce_dense)
(const float *x, const float *label, int outer, int classes, int inner, int fromLogits, const float *G,
 double *loss, float *gx, float *glabel) {
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      int base = o * classes * inner + i, element = o * inner + i;
      const float *row = x + base, *z = label + base;
      float shift = 0.0f, sum = 1.0f;
      if (!fromLogits) {
        float max = row_max(row, classes, inner);
        sum = row_sum_exp(row, classes, inner, max, G ? gx + base : 0);
        shift = max + s_log(sum);
      }
      float g = G ? G[element] : 0.0f;
      f32x4 dotv = splat(0.0f), zsv = splat(0.0f);
      float dot = 0.0f, labelSum = 0.0f;
      int c = 0;
      if (inner == 1) {
        f32x4 sv = splat(shift), gv = splat(-g);
        for (; c + 4 <= classes; c += 4) {
          f32x4 logp = wasm_f32x4_sub(wasm_v128_load(row + c), sv);
          f32x4 zc = wasm_v128_load(z + c);
          dotv = wasm_f32x4_add(dotv, wasm_f32x4_mul(logp, zc));
          zsv = wasm_f32x4_add(zsv, zc);
          if (G) wasm_v128_store(glabel + base + c, wasm_f32x4_mul(logp, gv));
        }
        dot = hsum(dotv);
        labelSum = hsum(zsv);
      }
      for (; c < classes; c++) {
        float logp = row[c * inner] - shift, zc = z[c * inner];
        dot += logp * zc;
        labelSum += zc;
        if (G) glabel[base + c * inner] = logp * -g;
      }
      loss[element] = -dot;
      if (!G) continue;
      if (fromLogits) {
        for (int k = 0; k < classes; k++) gx[base + k * inner] = -z[k * inner] * g;
      } else {
        /* log_softmax backward of dlogp = -g label: dx = dlogp - softmax * sum(dlogp). */
        float scale = (labelSum * g) / sum;
        int k = 0;
        if (inner == 1) {
          f32x4 sv = splat(scale), gv = splat(g);
          for (; k + 4 <= classes; k += 4) {
            f32x4 v = wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(gx + base + k), sv),
                                     wasm_f32x4_mul(wasm_v128_load(z + k), gv));
            wasm_v128_store(gx + base + k, v);
          }
        }
        for (; k < classes; k++) gx[base + k * inner] = gx[base + k * inner] * scale - z[k * inner] * g;
      }
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
      float shift = max + s_log(row_sum_exp(row, classes, inner, max, 0));
      for (int c = 0; c < classes; c++) out[base + c * inner] = row[c * inner] - shift;
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
