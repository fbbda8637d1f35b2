/*
 * SquaredHingeLoss: square(relu(margin - pred * label)), the argument in float32. Scalar a = margin.
 *
 * The gradient is MXNet's backward, product by product in its float32 order (golden
 * cases SquaredHingeLoss/diff-1-*): square's `(G w) (2r)`, then relu's gradient (NaN at
 * NaN, 0 where inactive: so an infinite `(G w)(2r)` there gives NaN, and G w times 2r may
 * overflow before the label shrinks it), then `-1`, then the other operand.
 */
#include "chain.h"

INLINE void squared_hinge_elem(f32x4 x, f32x4 y, f32x4 gw, const params_t *p, f32x4 *loss, f32x4 *gx, f32x4 *gy) {
  f32x4 t = wasm_f32x4_sub(splat(p->a), wasm_f32x4_mul(x, y));
  f32x4 r = relu_f(t);
  *loss = wasm_f32x4_mul(r, r);
  f32x4 gt = wasm_f32x4_neg(wasm_f32x4_mul(wasm_f32x4_mul(gw, wasm_f32x4_add(r, r)), relu_grad_f(t)));
  *gx = wasm_f32x4_mul(gt, y);
  *gy = wasm_f32x4_mul(gt, x);
}

ELEMENTWISE2_CHAIN(squared_hinge, squared_hinge_elem)
