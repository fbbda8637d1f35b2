/*
 * LogisticLoss: relu(x) - x z + softrelu(-|x|), z = (label + 1) / 2 (signed, flag = 1)
 * or label (binary). Gradients follow MXNet's chain rule term by term: relu'(0) = 0 and
 * abs'(0) = 0, so d/dx at 0 is -z; softrelu's gradient is e / (1 + e), e = exp(-|x|).
 * SigmoidBCE's logits formula without pos_weight is the binary case of this kernel.
 */
#include "walk.h"

INLINE void logistic_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  f32x4 z = p->flag ? wasm_f32x4_mul(wasm_f32x4_add(y, splat(1.0f)), splat(0.5f)) : y;
  f32x4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  *loss = wasm_f32x4_add(wasm_f32x4_sub(relu_f(x), wasm_f32x4_mul(x, z)), v_log1p_unit(e));
  f32x4 sig = wasm_f32x4_div(e, wasm_f32x4_add(splat(1.0f), e));
  f32x4 pos = mask_one(wasm_f32x4_gt(x, splat(0.0f)));
  *dx = wasm_f32x4_sub(wasm_f32x4_sub(pos, z), wasm_f32x4_mul(sig, sign_f(x)));
  *dy = wasm_f32x4_neg(p->flag ? wasm_f32x4_mul(x, splat(0.5f)) : x);
}

ELEMENTWISE2(logistic, logistic_elem)
