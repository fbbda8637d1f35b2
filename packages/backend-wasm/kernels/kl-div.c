/*
 * KLDivLoss's elementwise part: label * (log(label + 1e-12) - logp), in float32 as
 * MXNet; the gradients are d/dlogp = -label and d/dlabel = (log(label + 1e-12) - logp)
 * + label / (label + 1e-12). log_softmax (when from_logits is false) is rows.c's.
 */
#include "walk.h"

INLINE void kl_elem(f32x4 logp, f32x4 z, const params_t *p, f32x4 *loss, f32x4 *dlogp, f32x4 *dz) {
  (void)p;
  f32x4 ze = wasm_f32x4_add(z, splat(1e-12f));
  f32x4 diff = wasm_f32x4_sub(v_log(ze), logp);
  *loss = wasm_f32x4_mul(z, diff);
  *dlogp = wasm_f32x4_neg(z);
  *dz = wasm_f32x4_add(diff, wasm_f32x4_div(z, ze));
}

ELEMENTWISE2(kl_div, kl_elem)
