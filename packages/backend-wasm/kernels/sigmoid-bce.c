/*
 * SigmoidBinaryCrossEntropyLoss's four formulas:
 * - logits:                relu(x) - x z + softrelu(-|x|);
 * - from_sigmoid:          -(log(p + eps) z + log(1 - p + eps) (1 - z));
 * - logits, pos_weight:    x - x z + (1 + (pw - 1) z) (softrelu(-|x|) + relu(-x));
 * - from_sigmoid, pw:      -(log(p + eps) z pw + log(1 - p + eps) (1 - z)),
 * eps = 1e-12. label and pos_weight are differentiated. The pos_weight kernels read
 * their three operands already broadcast to the loss shape.
 *
 * Every step is the float32 operation MXNet's operators and autograd perform, in their
 * order, the head gradient g multiplied in first (chain.h): a log's gradient is
 * (g z) (1/(p + eps)), relu's gradient is NaN at NaN (mshadow's relu_grad), abs's is
 * sign (0 at 0 and at NaN) and relu'(0) = abs'(0) = 0, softrelu's is e / (1 + e) with
 * e = exp(-|x|). So overflow, Inf - Inf and 0 * Inf give Inf and NaN where MXNet's do,
 * and a cancellation such as (g z)(1/p) - (g (1 - z))(1/(1 - p)) rounds as MXNet's.
 */
#include "chain.h"

#define EPS 1e-12f

INLINE void logits_elem(f32x4 x, f32x4 z, f32x4 g, const params_t *unused, f32x4 *loss, f32x4 *dx, f32x4 *dz) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  f32x4 xz = wasm_f32x4_mul(x, z);
  *loss = wasm_f32x4_add(wasm_f32x4_sub(relu_f(x), xz), v_log1p_unit(e));
  /* relu's term, then -x z's, then softrelu(-|x|)'s through -abs. */
  f32x4 softreluGrad = wasm_f32x4_mul(g, wasm_f32x4_div(e, wasm_f32x4_add(one, e)));
  *dx = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(g, relu_grad_f(x)), wasm_f32x4_mul(g, z)),
                       wasm_f32x4_mul(softreluGrad, sign_f(x)));
  *dz = wasm_f32x4_neg(wasm_f32x4_mul(g, x));
}

ELEMENTWISE2_CHAIN(bce_logits, logits_elem)

INLINE void probability_elem(f32x4 p, f32x4 z, f32x4 g, const params_t *unused, f32x4 *loss, f32x4 *dp,
                             f32x4 *dz) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 pe = wasm_f32x4_add(p, splat(EPS));
  f32x4 qe = wasm_f32x4_add(wasm_f32x4_sub(one, p), splat(EPS));
  f32x4 logP = v_log(pe), logQ = v_log(qe);
  f32x4 nz = wasm_f32x4_sub(one, z);
  *loss = wasm_f32x4_neg(wasm_f32x4_add(wasm_f32x4_mul(logP, z), wasm_f32x4_mul(logQ, nz)));
  /* Through the negation, each product, each log (times 1/its argument), and 1 - p. */
  f32x4 ng = wasm_f32x4_neg(g);
  f32x4 fromP = wasm_f32x4_mul(wasm_f32x4_mul(ng, z), wasm_f32x4_div(one, pe));
  f32x4 fromQ = wasm_f32x4_mul(wasm_f32x4_mul(ng, nz), wasm_f32x4_div(one, qe));
  *dp = wasm_f32x4_sub(fromP, fromQ);
  *dz = wasm_f32x4_add(wasm_f32x4_mul(ng, logP), wasm_f32x4_mul(g, logQ));
}

ELEMENTWISE2_CHAIN(bce_probability, probability_elem)

INLINE void logits_pw_elem(f32x4 x, f32x4 z, f32x4 pw, f32x4 g, const params_t *unused, f32x4 *loss, f32x4 *dx,
                           f32x4 *dz, f32x4 *dpw) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  f32x4 pwm1 = wasm_f32x4_sub(pw, one);
  f32x4 logWeight = wasm_f32x4_add(one, wasm_f32x4_mul(pwm1, z));
  f32x4 nx = wasm_f32x4_neg(x);
  f32x4 softplus = wasm_f32x4_add(v_log1p_unit(e), relu_f(nx));
  *loss = wasm_f32x4_add(wasm_f32x4_sub(x, wasm_f32x4_mul(x, z)), wasm_f32x4_mul(logWeight, softplus));
  /* x's own term, -x z's, then softrelu(-|x|) + relu(-x) times the log weight. */
  f32x4 gSoftplus = wasm_f32x4_mul(g, logWeight);
  f32x4 softreluGrad = wasm_f32x4_mul(gSoftplus, wasm_f32x4_div(e, wasm_f32x4_add(one, e)));
  f32x4 reluPart = wasm_f32x4_mul(gSoftplus, relu_grad_f(nx));
  *dx = wasm_f32x4_sub(
      wasm_f32x4_sub(wasm_f32x4_sub(g, wasm_f32x4_mul(g, z)), wasm_f32x4_mul(softreluGrad, sign_f(x))), reluPart);
  f32x4 gLogWeight = wasm_f32x4_mul(g, softplus);
  *dz = wasm_f32x4_add(wasm_f32x4_neg(wasm_f32x4_mul(g, x)), wasm_f32x4_mul(gLogWeight, pwm1));
  *dpw = wasm_f32x4_mul(gLogWeight, z);
}

ELEMENTWISE3_CHAIN(bce_logits_pw, logits_pw_elem)

INLINE void probability_pw_elem(f32x4 p, f32x4 z, f32x4 pw, f32x4 g, const params_t *unused, f32x4 *loss, f32x4 *dp,
                                f32x4 *dz, f32x4 *dpw) {
  (void)unused;
  f32x4 one = splat(1.0f);
  f32x4 pe = wasm_f32x4_add(p, splat(EPS));
  f32x4 qe = wasm_f32x4_add(wasm_f32x4_sub(one, p), splat(EPS));
  f32x4 logP = v_log(pe), logQ = v_log(qe);
  f32x4 nz = wasm_f32x4_sub(one, z);
  f32x4 logPz = wasm_f32x4_mul(logP, z);
  *loss = wasm_f32x4_neg(wasm_f32x4_add(wasm_f32x4_mul(logPz, pw), wasm_f32x4_mul(logQ, nz)));
  /* As without pos_weight, with the extra product by pos_weight on the log(p) term. */
  f32x4 ng = wasm_f32x4_neg(g);
  f32x4 gLogPz = wasm_f32x4_mul(ng, pw);
  f32x4 fromP = wasm_f32x4_mul(wasm_f32x4_mul(gLogPz, z), wasm_f32x4_div(one, pe));
  f32x4 fromQ = wasm_f32x4_mul(wasm_f32x4_mul(ng, nz), wasm_f32x4_div(one, qe));
  *dp = wasm_f32x4_sub(fromP, fromQ);
  *dz = wasm_f32x4_add(wasm_f32x4_mul(gLogPz, logP), wasm_f32x4_mul(g, logQ));
  *dpw = wasm_f32x4_mul(ng, logPz);
}

ELEMENTWISE3_CHAIN(bce_probability_pw, probability_pw_elem)
