/* SquaredHingeLoss: square(relu(margin - pred * label)), the argument in float32. Scalar a = margin. */
#include "walk.h"

INLINE void squared_hinge_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  f32x4 r = relu_f(wasm_f32x4_sub(splat(p->a), wasm_f32x4_mul(x, y)));
  *loss = wasm_f32x4_mul(r, r);
  /* d(r^2)/dr = 2r (0 where the relu is inactive), d(t)/d(x y) = -1. */
  f32x4 dt = wasm_f32x4_mul(splat(-2.0f), r);
  *dx = wasm_f32x4_mul(dt, y);
  *dy = wasm_f32x4_mul(dt, x);
}

ELEMENTWISE2(squared_hinge, squared_hinge_elem)
