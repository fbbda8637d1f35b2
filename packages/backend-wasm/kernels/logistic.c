/*
 * LogisticLoss: relu(x) - x z + softrelu(-|x|), z = (label + 1) / 2 (signed, flag = 1)
 * or label (binary). Gradients follow MXNet's chain rule term by term: relu'(0) = 0 and
 * abs'(0) = 0, so d/dx at 0 is -z; softrelu's gradient is e / (1 + e), e = exp(-|x|).
 *
 * The head gradient g enters each term's product as in MXNet's backward (g relu'(x) -
 * g z - (g sig) sign(x), and -(g x) / 2): with an infinite g, Inf - Inf and 0 * Inf give
 * NaN where MXNet's do, and g x overflows where MXNet's does.
 */
#include "chain.h"

INLINE f32x4 logistic_z(f32x4 y, const params_t *p) {
  return p->flag ? wasm_f32x4_mul(wasm_f32x4_add(y, splat(1.0f)), splat(0.5f)) : y;
}

INLINE f32x4 logistic_value(f32x4 x, f32x4 z, f32x4 e) {
  return wasm_f32x4_add(wasm_f32x4_sub(relu_f(x), wasm_f32x4_mul(x, z)), v_log1p_unit(e));
}

INLINE void logistic_grad_elem(f32x4 x, f32x4 y, f32x4 g, const params_t *p, f32x4 *loss, f32x4 *gx, f32x4 *gy) {
  f32x4 z = logistic_z(y, p);
  f32x4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  *loss = logistic_value(x, z, e);
  f32x4 sig = wasm_f32x4_div(e, wasm_f32x4_add(splat(1.0f), e));
  /* relu's gradient as a 0/1 mask: at NaN x, sig is NaN and so is the result anyway. */
  f32x4 relu_term = wasm_f32x4_mul(g, mask_one(wasm_f32x4_gt(x, splat(0.0f))));
  f32x4 linear = wasm_f32x4_sub(relu_term, wasm_f32x4_mul(g, z));
  *gx = wasm_f32x4_sub(linear, wasm_f32x4_mul(wasm_f32x4_mul(g, sig), sign_f(x)));
  f32x4 gxz = wasm_f32x4_mul(g, x);
  *gy = wasm_f32x4_neg(p->flag ? wasm_f32x4_mul(gxz, splat(0.5f)) : gxz);
}

ELEMENTWISE2_CHAIN(logistic, logistic_grad_elem)
