/*
 * HuberLoss: a = |label - pred|, where(a > rho, a - rho/2, (0.5/rho) square(a)), in float32
 * as MXNet compares (at a == rho the quadratic branch).
 * Scalars: a = rho, b = rho/2, c = 0.5/rho (each rounded to float32 as MXNet's scalar ops).
 *
 * The gradient is MXNet's backward, product by product in its float32 order: `where`
 * hands G to the branch taken and 0 to the other, and both flow on. The linear branch
 * passes its share through; the quadratic one's is `(share * c) * 2a` (square's
 * gradient), so the untaken quadratic branch gives 0 * Inf = NaN where 2a overflows or c
 * is infinite, and `G * c` may overflow before 2a shrinks it. Their sum times
 * sign(label - pred) (abs's gradient, 0 at NaN) is label's gradient; pred's is its negation.
 */
#include "chain.h"

INLINE f32x4 huber_value(f32x4 a, v128_t linear, const params_t *p) {
  return select_f(linear, wasm_f32x4_sub(a, splat(p->b)), wasm_f32x4_mul(splat(p->c), wasm_f32x4_mul(a, a)));
}

INLINE void huber_grad_elem(f32x4 x, f32x4 y, f32x4 g, const params_t *p, f32x4 *loss, f32x4 *gx, f32x4 *gy) {
  f32x4 d = wasm_f32x4_sub(y, x);
  f32x4 a = wasm_f32x4_abs(d);
  v128_t linear = wasm_f32x4_gt(a, splat(p->a));
  *loss = huber_value(a, linear, p);
  f32x4 zero = splat(0.0f);
  f32x4 quadratic = wasm_f32x4_mul(wasm_f32x4_mul(select_f(linear, zero, g), splat(p->c)), wasm_f32x4_add(a, a));
  f32x4 ga = wasm_f32x4_add(select_f(linear, g, zero), quadratic);
  *gy = wasm_f32x4_mul(ga, sign_f(d));
  *gx = wasm_f32x4_neg(*gy);
}

ELEMENTWISE2_CHAIN(huber, huber_grad_elem)
