/* L1Loss: abs(label - pred); abs's gradient is sign(), 0 at 0 and at NaN. */
#include "walk.h"

INLINE void l1_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  (void)p;
  f32x4 d = wasm_f32x4_sub(y, x);
  *loss = wasm_f32x4_abs(d);
  *dy = sign_f(d);
  *dx = wasm_f32x4_neg(*dy);
}

ELEMENTWISE2(l1, l1_elem)
