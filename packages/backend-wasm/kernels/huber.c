/*
 * HuberLoss: a = |label - pred|, where(a > rho, a - rho/2, (0.5/rho) a^2), in float32 as
 * MXNet compares (at a == rho the quadratic branch). The derivative in a is 1 on the
 * linear side and 2a (0.5/rho) on the quadratic side; then sign(label - pred).
 * Scalars: a = rho, b = rho/2, c = 0.5/rho (each rounded to float32 as MXNet's scalar ops).
 */
#include "walk.h"

INLINE void huber_elem(f32x4 x, f32x4 y, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dy) {
  f32x4 d = wasm_f32x4_sub(y, x);
  f32x4 a = wasm_f32x4_abs(d);
  v128_t linear = wasm_f32x4_gt(a, splat(p->a));
  f32x4 quad = splat(p->c);
  *loss = select_f(linear, wasm_f32x4_sub(a, splat(p->b)), wasm_f32x4_mul(quad, wasm_f32x4_mul(a, a)));
  f32x4 da = select_f(linear, splat(1.0f), wasm_f32x4_mul(wasm_f32x4_add(a, a), quad));
  *dy = wasm_f32x4_mul(sign_f(d), da);
  *dx = wasm_f32x4_neg(*dy);
}

ELEMENTWISE2(huber, huber_elem)
