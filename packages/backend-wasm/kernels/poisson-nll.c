/*
 * PoissonNLLLoss. from_logits (flag bit 1): exp(x) - t x; otherwise x - t log(x + eps).
 * compute_full (flag bit 2) adds (t log t - t + 0.5 log(2 pi t)) * (t > 1), written as
 * MXNet evaluates it: t == 0 gives NaN (0 * -inf) in the loss and in t's gradient, even
 * under the zero mask. Scalar a = epsilon.
 */
#include "walk.h"

#define PI_F 3.14159265358979323846f

INLINE void poisson_elem(f32x4 x, f32x4 t, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dt) {
  if (p->flag & 1) {
    f32x4 e = v_exp(x);
    *loss = wasm_f32x4_sub(e, wasm_f32x4_mul(t, x));
    *dx = wasm_f32x4_sub(e, t);
    *dt = wasm_f32x4_neg(x);
  } else {
    f32x4 xe = wasm_f32x4_add(x, splat(p->a));
    f32x4 logRate = v_log(xe);
    *loss = wasm_f32x4_sub(x, wasm_f32x4_mul(t, logRate));
    *dx = wasm_f32x4_sub(splat(1.0f), wasm_f32x4_div(t, xe));
    *dt = wasm_f32x4_neg(logRate);
  }
  if (p->flag & 2) {
    f32x4 mask = mask_one(wasm_f32x4_gt(t, splat(1.0f)));
    f32x4 logT = v_log(t);
    f32x4 twoPiT = wasm_f32x4_mul(wasm_f32x4_add(t, t), splat(PI_F));
    f32x4 stirling = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(t, logT), t),
                                    wasm_f32x4_mul(splat(0.5f), v_log(twoPiT)));
    *loss = wasm_f32x4_add(*loss, wasm_f32x4_mul(stirling, mask));
    /* d/dt of each factor as autograd forms it: log t + t (1/t) - 1 + 0.5 (1/(2 pi t)) 2 pi. */
    f32x4 dStirling = wasm_f32x4_add(
        wasm_f32x4_sub(wasm_f32x4_add(logT, wasm_f32x4_mul(t, wasm_f32x4_div(splat(1.0f), t))), splat(1.0f)),
        wasm_f32x4_mul(wasm_f32x4_mul(splat(0.5f), wasm_f32x4_div(splat(1.0f), twoPiT)), splat(2.0f * PI_F)));
    *dt = wasm_f32x4_add(*dt, wasm_f32x4_mul(mask, dStirling));
  }
}

ELEMENTWISE2(poisson_nll, poisson_elem)
