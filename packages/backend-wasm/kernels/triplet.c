/*
 * TripletLoss: per sample, sum(square(positive - pred) - square(negative - pred)) over
 * the sample's elements (blocks of `inner`, block j in sample j % batch); the relu and
 * the margin are applied to those sums by the caller. The backward walk reads the
 * relu-masked G per sample and writes the three gradients.
 */
#include "walk.h"

INLINE void triplet_elem(f32x4 x, f32x4 pos, f32x4 neg, const params_t *p, f32x4 *loss, f32x4 *dx, f32x4 *dpos,
                         f32x4 *dneg) {
  (void)p;
  f32x4 dp = wasm_f32x4_sub(pos, x);
  f32x4 dn = wasm_f32x4_sub(neg, x);
  *loss = wasm_f32x4_sub(wasm_f32x4_mul(dp, dp), wasm_f32x4_mul(dn, dn));
  f32x4 two = splat(2.0f);
  *dx = wasm_f32x4_mul(two, wasm_f32x4_sub(dn, dp));
  *dpos = wasm_f32x4_mul(two, dp);
  *dneg = wasm_f32x4_neg(wasm_f32x4_mul(two, dn));
}

ELEMENTWISE3(triplet, triplet_elem)
