/* L2Loss: square(label - pred); MXNet's weight / 2 is in the plan's applied weight. */
#include "walk.h"

INLINE void l2_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  (void)p;
  f32x4 d = wasm_f32x4_sub(y, x);
  *loss = wasm_f32x4_mul(d, d);
  *dy = wasm_f32x4_add(d, d);
  *dx = wasm_f32x4_neg(*dy);
}

ELEMENTWISE2(l2, l2_elem)
