/*
 * HingeLoss: relu(margin - pred * label), the argument in float32 as MXNet computes it
 * (a point exactly at the margin is inactive: relu's gradient at 0 is 0; at NaN it is NaN).
 * Scalar a = margin.
 */
#include "walk.h"

INLINE void hinge_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  f32x4 t = wasm_f32x4_sub(splat(p->a), wasm_f32x4_mul(x, y));
  *loss = relu_f(t);
  /* relu_grad is NaN at NaN, and a product: an inactive point times an infinite operand is NaN, as in MXNet. */
  f32x4 dt = wasm_f32x4_neg(relu_grad_f(t));
  *dx = wasm_f32x4_mul(dt, y);
  *dy = wasm_f32x4_mul(dt, x);
}

ELEMENTWISE2(hinge, hinge_elem)
