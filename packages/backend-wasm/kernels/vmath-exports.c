/* The vector math over arrays, exported for test/vmath.test.ts (n a multiple of 4). */
#include "walk.h"

#define MAP(NAME, FN)                                                                                              \
  EXPORT(NAME)(const float *x, float *y, int n) {                                                                  \
    for (int i = 0; i < n; i += 4) wasm_v128_store(y + i, FN(wasm_v128_load(x + i)));                              \
  }

MAP(vexp, v_exp)
MAP(vlog, v_log)
MAP(vlog1p, v_log1p)
MAP(vlog1p_unit, v_log1p_unit)
