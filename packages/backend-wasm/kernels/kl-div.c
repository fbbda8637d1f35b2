/*
 * KLDivLoss's elementwise part: label * (log(label + 1e-12) - logp), in float32 as
 * MXNet. log_softmax (when from_logits is false) is softmax-cross-entropy.c's.
 *
 * The backward is MXNet's chain of operators, each a float32 tensor, with gw = G * w
 * (the element's head gradient): d/dlogp = -(gw * label), and d/dlabel =
 * gw * diff + (gw * label) * (1 / (label + 1e-12)) (the product's part, then the log's
 * part through the sum's gradient). So Inf and NaN land where MXNet's do: a large
 * gw * label overflows to Inf although label / (label + 1e-12) is 1, and an infinite gw
 * meets a zero label as 0 * Inf = NaN. With `flag` (label broadcasts into the loss
 * shape) d/dlabel gets only the product's part gw * diff: MXNet sums gw * label over the
 * broadcast axes before the log's backward multiplies it (see src/losses/kl-div.ts).
 */
#include "walk.h"

#define KL_EPS 1e-12f

INLINE void kl_elem(f32x4 logp, f32x4 z, const params_t *p, f32x4 *loss, f32x4 *dlogp, f32x4 *dz) {
  (void)p;
  *loss = wasm_f32x4_mul(z, wasm_f32x4_sub(v_log(wasm_f32x4_add(z, splat(KL_EPS))), logp));
  *dlogp = *dz = splat(0.0f);
}

/* The loss and both gradients of four elements under head gradients gwv. */
INLINE void kl_grad(f32x4 logp, f32x4 z, f32x4 gwv, int ownOnly, f32x4 *loss, f32x4 *dlogp, f32x4 *dz) {
  f32x4 ze = wasm_f32x4_add(z, splat(KL_EPS));
  f32x4 diff = wasm_f32x4_sub(v_log(ze), logp);
  *loss = wasm_f32x4_mul(z, diff);
  f32x4 gDiff = wasm_f32x4_mul(gwv, z);
  *dlogp = wasm_f32x4_neg(gDiff);
  f32x4 own = wasm_f32x4_mul(gwv, diff);
  *dz = ownOnly ? own : wasm_f32x4_add(own, wasm_f32x4_mul(gDiff, wasm_f32x4_div(splat(1.0f), ze)));
}

EXPORT(kl_div_forward)
(const float *x, const float *y, int n, int inner, int groups, const float *w, double *acc, float a, float b, float c,
 float d, int flag) {
  params_t p = {a, b, c, d, flag};
  walk2_forward(x, y, n, inner, groups, w, acc, &p, kl_elem);
}

/* walk2_backward's walk (walk.h) with kl_grad, which takes the head gradient inside. */
EXPORT(kl_div_backward)
(const float *x, const float *y, int n, int inner, int groups, const float *w, const float *G, double *acc, float *gx,
 float *gy, float *gw, float a, float b, float c, float d, int flag) {
  (void)a, (void)b, (void)c, (void)d;
  int g = 0;
  const f32x4 one = splat(1.0f);
  for (int start = 0; start < n; start += inner) {
    int end = start + inner, e = start;
    f32x4 gv = splat(G[g]);
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    f32x4 l, dx, dy;
    for (; e + 4 <= end; e += 4) {
      f32x4 wv = w ? wasm_v128_load(w + e) : one;
      kl_grad(wasm_v128_load(x + e), wasm_v128_load(y + e), wasm_f32x4_mul(gv, wv), flag, &l, &dx, &dy);
      wasm_v128_store(gx + e, dx);
      wasm_v128_store(gy + e, dy);
      if (gw) wasm_v128_store(gw + e, wasm_f32x4_mul(l, gv));
      add_f64(&lo, &hi, w ? wasm_f32x4_mul(l, wv) : l);
    }
    double sum = sum_f64(lo, hi);
    if (e < end) {
      int k = end - e;
      f32x4 wv = w ? load_part(w + e, k) : one;
      kl_grad(load_part(x + e, k), load_part(y + e, k), wasm_f32x4_mul(gv, wv), flag, &l, &dx, &dy);
      store_part(gx + e, dx, k);
      store_part(gy + e, dy, k);
      if (gw) store_part(gw + e, wasm_f32x4_mul(l, gv), k);
      sum += sum_part(w ? wasm_f32x4_mul(l, wv) : l, k);
    }
    acc[g] += sum;
    if (++g == groups) g = 0;
  }
}
