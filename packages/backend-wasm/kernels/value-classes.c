/*
 * What a call's inputs hold, found by one SIMD pass over their copies in wasm memory
 * (a JavaScript loop costs about 1 ns a value, several times an elementwise kernel's own
 * cost), for the rules that decide a call before it runs: the spec's ordinaryValues (the
 * layout; rules/ordinary-values.ts) and bitExactOnly (refusals, which all need a NaN or
 * an infinity; rules/bit-exact-only.ts).
 *
 * On the magnitude's bits m (the sign cleared): ordinary is m == 0 or
 * 0x00800000 <= m <= 0x4b800000 (float32's smallest normal to 2^24; one unsigned compare
 * of m - 0x00800000 covers both ends), finite is m < 0x7f800000 (NaN and ±Inf at or above).
 */
#include <wasm_simd128.h>

#define MAGNITUDE 0x7fffffffu
#define SMALLEST_NORMAL 0x00800000u
#define TWO_POW_24 0x4b800000u
#define INFINITY_BITS 0x7f800000u

/* The result's bits. */
#define NOT_ORDINARY 1
#define NOT_FINITE 2

static inline v128_t not_ordinary4(v128_t m) {
  const v128_t inRange =
      wasm_u32x4_le(wasm_i32x4_sub(m, wasm_u32x4_splat(SMALLEST_NORMAL)), wasm_u32x4_splat(TWO_POW_24 - SMALLEST_NORMAL));
  return wasm_v128_not(wasm_v128_or(inRange, wasm_i32x4_eq(m, wasm_i32x4_splat(0))));
}

static inline int classes1(const float *x) {
  union {
    float f;
    unsigned u;
  } v;
  v.f = *x;
  const unsigned m = v.u & MAGNITUDE;
  const int ordinary = m == 0 || m - SMALLEST_NORMAL <= TWO_POW_24 - SMALLEST_NORMAL;
  return (ordinary ? 0 : NOT_ORDINARY) | (m >= INFINITY_BITS ? NOT_FINITE : 0);
}

/* NOT_ORDINARY | NOT_FINITE as x holds such values; it stops once both are found. */
__attribute__((export_name("value_classes"))) int value_classes(const float *x, int n) {
  const v128_t magnitude = wasm_u32x4_splat(MAGNITUDE);
  const v128_t infinity = wasm_u32x4_splat(INFINITY_BITS);
  int found = 0;
  int i = 0;
  while (i + 16 <= n && found != (NOT_ORDINARY | NOT_FINITE)) {
    /* 1024 values (or what is left, in steps of 16) before the next look at what was found. */
    const int end = n - i >= 1024 ? i + 1024 : i + ((n - i) & ~15);
    v128_t notOrdinary = wasm_i32x4_splat(0);
    v128_t notFinite = wasm_i32x4_splat(0);
    for (; i < end; i += 16) {
      const v128_t a = wasm_v128_and(wasm_v128_load(x + i), magnitude);
      const v128_t b = wasm_v128_and(wasm_v128_load(x + i + 4), magnitude);
      const v128_t c = wasm_v128_and(wasm_v128_load(x + i + 8), magnitude);
      const v128_t d = wasm_v128_and(wasm_v128_load(x + i + 12), magnitude);
      notOrdinary = wasm_v128_or(notOrdinary, wasm_v128_or(wasm_v128_or(not_ordinary4(a), not_ordinary4(b)),
                                                           wasm_v128_or(not_ordinary4(c), not_ordinary4(d))));
      const v128_t top = wasm_u32x4_max(wasm_u32x4_max(a, b), wasm_u32x4_max(c, d));
      notFinite = wasm_v128_or(notFinite, wasm_u32x4_ge(top, infinity));
    }
    if (wasm_v128_any_true(notOrdinary)) found |= NOT_ORDINARY;
    if (wasm_v128_any_true(notFinite)) found |= NOT_FINITE;
  }
  for (; i < n && found != (NOT_ORDINARY | NOT_FINITE); i++) found |= classes1(x + i);
  return found;
}
