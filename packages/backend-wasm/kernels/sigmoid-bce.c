/*
 * SigmoidBinaryCrossEntropyLoss's formulas other than logits without pos_weight (which
 * is logistic.c's binary case):
 * - from_sigmoid:          -(log(p + eps) z + log(1 - p + eps) (1 - z));
 * - logits, pos_weight:    x - x z + (1 + (pw - 1) z) (softrelu(-|x|) + relu(-x));
 * - from_sigmoid, pw:      -(log(p + eps) z pw + log(1 - p + eps) (1 - z)),
 * eps = 1e-12, everything in float32 as MXNet. label and pos_weight are differentiated.
 * The pos_weight kernels read their three operands already broadcast to the loss shape.
 */
#include "walk.h"

#define EPS 1e-12f

INLINE void probability_elem(f32x4 p, f32x4 z, const params_t *unused, f32x4 *loss, f32x4 *dp, f32x4 *dz) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 pe = wasm_f32x4_add(p, splat(EPS));
  f32x4 qe = wasm_f32x4_add(wasm_f32x4_sub(one, p), splat(EPS));
  f32x4 logP = v_log(pe), logQ = v_log(qe);
  f32x4 nz = wasm_f32x4_sub(one, z);
  *loss = wasm_f32x4_neg(wasm_f32x4_add(wasm_f32x4_mul(logP, z), wasm_f32x4_mul(logQ, nz)));
  *dp = wasm_f32x4_neg(wasm_f32x4_sub(wasm_f32x4_div(z, pe), wasm_f32x4_div(nz, qe)));
  *dz = wasm_f32x4_neg(wasm_f32x4_sub(logP, logQ));
}

ELEMENTWISE2(bce_probability, probability_elem)

INLINE void logits_pw_elem(f32x4 x, f32x4 z, f32x4 pw, const params_t *unused, f32x4 *loss, f32x4 *dx, f32x4 *dz,
                           f32x4 *dpw) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  f32x4 pwm1 = wasm_f32x4_sub(pw, one);
  f32x4 logWeight = wasm_f32x4_add(one, wasm_f32x4_mul(pwm1, z));
  f32x4 softplus = wasm_f32x4_add(v_log1p_unit(e), relu_f(wasm_f32x4_neg(x)));
  *loss = wasm_f32x4_add(wasm_f32x4_sub(x, wasm_f32x4_mul(x, z)), wasm_f32x4_mul(logWeight, softplus));
  /* d(softrelu(-|x|) + relu(-x))/dx with abs'(0) = relu'(0) = 0. */
  f32x4 sig = wasm_f32x4_div(e, wasm_f32x4_add(one, e));
  f32x4 dsp = wasm_f32x4_sub(wasm_f32x4_neg(wasm_f32x4_mul(sig, sign_f(x))), mask_one(wasm_f32x4_lt(x, splat(0.0f))));
  *dx = wasm_f32x4_add(wasm_f32x4_sub(one, z), wasm_f32x4_mul(logWeight, dsp));
  *dz = wasm_f32x4_add(wasm_f32x4_neg(x), wasm_f32x4_mul(pwm1, softplus));
  *dpw = wasm_f32x4_mul(z, softplus);
}

ELEMENTWISE3(bce_logits_pw, logits_pw_elem)

INLINE void probability_pw_elem(f32x4 p, f32x4 z, f32x4 pw, const params_t *unused, f32x4 *loss, f32x4 *dp,
                                f32x4 *dz, f32x4 *dpw) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 pe = wasm_f32x4_add(p, splat(EPS));
  f32x4 qe = wasm_f32x4_add(wasm_f32x4_sub(one, p), splat(EPS));
  f32x4 logP = v_log(pe), logQ = v_log(qe);
  f32x4 nz = wasm_f32x4_sub(one, z);
  *loss = wasm_f32x4_neg(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(logP, z), pw), wasm_f32x4_mul(logQ, nz)));
  *dp = wasm_f32x4_neg(wasm_f32x4_sub(wasm_f32x4_div(wasm_f32x4_mul(z, pw), pe), wasm_f32x4_div(nz, qe)));
  *dz = wasm_f32x4_neg(wasm_f32x4_sub(wasm_f32x4_mul(logP, pw), logQ));
  *dpw = wasm_f32x4_neg(wasm_f32x4_mul(logP, z));
}

ELEMENTWISE3(bce_probability_pw, probability_pw_elem)
