/*
 * PoissonNLLLoss. from_logits (flag bit 1): exp(x) - t x; otherwise x - t log(x + eps).
 * compute_full (flag bit 2) adds (t log t - t + 0.5 log(2 pi t)) * (t > 1), written as
 * MXNet evaluates it: t == 0 gives NaN (0 * -inf) in the loss and in t's gradient, even
 * under the zero mask. Scalar a = epsilon.
 *
 * Every step is the float32 operation MXNet's operators and autograd perform, in their
 * order, the head gradient g multiplied in first (chain.h): the log's gradient is
 * (g t) (1/(x + eps)), so 1/x overflowing at a tiny x gives Inf as in MXNet.
 */
#include "chain.h"

#define PI_F 3.14159265358979323846f

INLINE void poisson_elem(f32x4 x, f32x4 t, f32x4 g, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dt) {
  f32x4 one = splat(1.0f);
  if (p->flag & 1) {
    f32x4 e = v_exp(x);
    *loss = wasm_f32x4_sub(e, wasm_f32x4_mul(t, x));
    *dx = wasm_f32x4_sub(wasm_f32x4_mul(g, e), wasm_f32x4_mul(g, t));
    *dt = wasm_f32x4_neg(wasm_f32x4_mul(g, x));
  } else {
    f32x4 shifted = wasm_f32x4_add(x, splat(p->a));
    f32x4 logRate = v_log(shifted);
    *loss = wasm_f32x4_sub(x, wasm_f32x4_mul(t, logRate));
    *dx = wasm_f32x4_sub(g, wasm_f32x4_mul(wasm_f32x4_mul(g, t), wasm_f32x4_div(one, shifted)));
    *dt = wasm_f32x4_neg(wasm_f32x4_mul(g, logRate));
  }
  if (p->flag & 2) {
    f32x4 mask = mask_one(wasm_f32x4_gt(t, one));
    f32x4 logT = v_log(t);
    f32x4 twoPiT = wasm_f32x4_mul(wasm_f32x4_add(t, t), splat(PI_F));
    f32x4 stirling = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(t, logT), t),
                                    wasm_f32x4_mul(splat(0.5f), v_log(twoPiT)));
    *loss = wasm_f32x4_add(*loss, wasm_f32x4_mul(stirling, mask));
    /* d/dt of each factor under the mask as autograd forms it: (gs log t + (gs t)(1/t)) - gs
     * + (((gs 0.5)(1/(2 t pi))) pi) 2, gs = g * mask (NaN at t == 0: 0 * inf). */
    f32x4 gs = wasm_f32x4_mul(g, mask);
    f32x4 dLog = wasm_f32x4_mul(wasm_f32x4_mul(gs, t), wasm_f32x4_div(one, t));
    f32x4 dHalfLog = wasm_f32x4_mul(
        wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(gs, splat(0.5f)), wasm_f32x4_div(one, twoPiT)), splat(PI_F)),
        splat(2.0f));
    f32x4 dStirling =
        wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(gs, logT), dLog), gs), dHalfLog);
    *dt = wasm_f32x4_add(*dt, dStirling);
  }
}

ELEMENTWISE2_CHAIN(poisson_nll, poisson_elem)
