/*
 * HingeLoss: relu(margin - pred * label), the argument in float32 as MXNet computes it
 * (a point exactly at the margin is inactive: relu's gradient at 0 is 0). Scalar a = margin.
 */
#include "walk.h"

INLINE void hinge_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  f32x4 t = wasm_f32x4_sub(splat(p->a), wasm_f32x4_mul(x, y));
  *loss = relu_f(t);
  f32x4 dt = wasm_f32x4_neg(mask_one(wasm_f32x4_gt(t, splat(0.0f))));
  *dx = wasm_f32x4_mul(dt, y);
  *dy = wasm_f32x4_mul(dt, x);
}

ELEMENTWISE2(hinge, hinge_elem)
