/**
 * MXNet 1.9.1's float32 `log_softmax` where it runs on oneDNN, written once so every
 * backend can compute it or be tested against it. It is the only place where MXNet's
 * log_softmax gives finite values for a row holding a NaN (`[-1.47, NaN]` gives
 * `[-88.72284, NaN]`), -Inf beside the NaN of an Inf (`[Inf, 0]` gives `[NaN, -Inf]`),
 * and 1.43e-6 for the largest entry of `[100, 0]`.
 *
 * When: float32 input, the softmax axis is the last one and the rank is 1 to 4
 * (MXNet's `SupportMKLDNNLogSoftmax`); the backward takes oneDNN's path under the same
 * condition. Any other axis or rank runs MXNet's own loop (the plain math with float32
 * steps, NaN spreading over the row), which this file does not describe.
 *
 * Which kernel: oneDNN v2.4.4 (inside the mxnet 1.9.1 wheel) picks it by the CPU; the
 * goldens are made with `DNNL_MAX_CPU_ISA=AVX2` (conformance/generator/generate.py), which
 * gives the forward `jit:avx2` and the backward `ref:any` (oneDNN 2.4 has no AVX2 softmax
 * backward). Those two are modelled here; an uncapped AVX-512 host runs a 16-lane forward
 * with another tail rule and a vectorised backward instead.
 *
 * Forward, bit for bit (checked against MXNet on 1,500 random rows of 1 to 100 entries
 * with NaN, ±Inf, ±3e38, subnormals and ±0 mixed in, and the fixture rows of the test):
 *
 * - The row is read in vectors of 8 lanes: entry `c` sits in lane `c % 8`; the last
 *   `length % 8` entries form a tail vector.
 * - max: each lane folds its entries in order from -FLT_MAX with x86's `maxps`,
 *   `m = m > x ? m : x` (a NaN entry makes the lane NaN; the next entry replaces it). In
 *   the tail vector the lanes past the row's end fold -FLT_MAX in, which turns a NaN (or
 *   -Inf) lane back into -FLT_MAX. The lanes are then combined by a butterfly,
 *   `m[i] = m[i] > m[i ^ s] ? m[i] : m[i ^ s]` for s = 4, 2, 1, which without a NaN gives
 *   every lane the row's max and with one can leave lanes with different values: entry
 *   `c` is shifted by its own lane's `m[c % 8]`.
 * - `y_c = fround(x_c - m[c % 8])`; lane sums `s += exp(y_c)` in float32, in order, then
 *   the same butterfly with `+` (every lane ends with the same total S).
 * - `logp_c = fround(y_c - log(S))`.
 * - exp and log are oneDNN's vectorised approximations (`oneDnnExp`, `oneDnnLog` below:
 *   exp within 3.9e-7 relative of the math on [-86.9, 88.7], log within 1.2e-5 absolute).
 *   exp clamps its argument to [-87.33654, 88.72284] with minps / maxps, which turns NaN
 *   into 88.72284, whose exp overflows: **exp(NaN) = +Inf** (so is exp(x) for x from
 *   88.72284 up); for x at or below -86.98997 it gives exactly 0 (the 2^(n-1) it scales
 *   by is built from exponent bits that reach 0). log reads the float's bits:
 *   **log(+Inf) = 88.72284** (finite), log(0) = -Inf, log(1) = -1.4305115e-6. S is never
 *   NaN (exp never returns it) and at least 1 unless every entry is -Inf, so `log(S)` is
 *   finite except in that row (-Inf, and the row NaN).
 *
 * Backward (`ref:any`): `S' = Σ dlogp` added in order in float32, then
 * `dx_c = fround(dlogp_c - fround(expf(logp_c) * S'))` with the C library's expf (NaN at
 * a NaN logp, 0 at -Inf). glibc's expf is not correctly rounded: `fround(Math.exp(x))`,
 * used here, differs from it by 1 ulp now and then, which moves dx by 1-2 ulp (9 of 74,518
 * entries of 3,000 random rows); Inf and NaN come out the same.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';

/** `SupportMKLDNNLogSoftmax`: float32 log_softmax over the last axis of a rank 1-4 tensor. */
export function usesOneDnnLogSoftmax(rank: number, axis: number): boolean {
  const normalised = axis < 0 ? axis + rank : axis;
  return rank >= 1 && rank <= 4 && normalised === rank - 1;
}

// ---- float32 bits and arithmetic -------------------------------------------------------

const word = new Float32Array(1);
const wordBits = new Uint32Array(word.buffer);

function bitsOf(x: number): number {
  word[0] = x;
  return wordBits[0]!;
}

function fromBits(bits: number): number {
  wordBits[0] = bits >>> 0;
  return word[0]!;
}

/** float32 value of a bit pattern, for the constants oneDNN spells in hex. */
const F = fromBits;

const FLT_MAX = F(0x7f7fffff);
/** 2^128 - 2^103: halfway between FLT_MAX and 2^128, where float32 rounding reaches Inf. */
const FLT_OVERFLOW_TIE = 3.4028235677973366e38;

/**
 * `fround(a * b + c)` with one rounding, as `vfmadd` computes it, for float32 a, b, c.
 * `a * b` is exact in float64, so only the float64 sum rounds; that rounding can only
 * change the float32 result when it lands exactly halfway between two float32 values,
 * which is when the point as far on the other side of s, `2s - fround(s)`, is a float32
 * too (it then is the other neighbour). Only then is the sum's exact error (TwoSum) asked
 * which way the exact value lies. NaN and ±Inf sums leave at the first test.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  const other = 2 * s - r;
  if (Math.fround(other) !== other) return r;
  return fma32Settle(p, c, s, r, other);
}

/** fma32's rare path: s is a float32, or a float32 tie, or overflows float32. */
function fma32Settle(p: number, c: number, s: number, r: number, other: number): number {
  if (r === s) return r;
  const v = s - p;
  const err = p - (s - v) + (c - v);
  if (r === Infinity || r === -Infinity) {
    // Past FLT_MAX: only the tie at 2^128 - 2^103 can still round down to FLT_MAX.
    return Math.abs(s) === FLT_OVERFLOW_TIE && err !== 0 && err > 0 !== s > 0 ? Math.sign(s) * FLT_MAX : r;
  }
  if (err === 0) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}

/** x86 `maxps` / `minps`: the second operand whenever either is NaN (or both are zeros). */
function maxps(a: number, b: number): number {
  return a > b ? a : b;
}
function minps(a: number, b: number): number {
  return a < b ? a : b;
}

// ---- exp ---------------------------------------------------------------------------------

const LN2 = F(0x3f317218);
const LOG2E = F(0x3fb8aa3b);
const EXP_ARG_MAX = F(0x42b17218); // 88.72284
const EXP_ARG_MIN = F(0xc2aeac50); // -87.33654 = log(FLT_MIN)
const EXP_P1 = F(0x3f7ffffb);
const EXP_P2 = F(0x3efffee3);
const EXP_P3 = F(0x3e2aad40);
const EXP_P4 = F(0x3d2b9d0d);
const EXP_P5 = F(0x3c07cfce);
/**
 * 2^(n-1) as oneDNN builds it, from the exponent bits `n - 1 + 127`, for n in [-126, 128]
 * (the clamped range): index n + 126. The lowest, bits 0, is 0, not 2^-127.
 */
const EXP_SCALE = Float64Array.from({ length: 255 }, (_, i) => fromBits(i << 23));

/**
 * oneDNN's vectorised float32 exp (eltwise injector `exp_compute_vector_fwd`):
 * `2 * 2^(n-1) * p(r)` with `n = floor(x log2 e + 0.5)`, `r = x - n ln 2` and a degree-5
 * polynomial, after clamping x to [log(FLT_MIN), 88.72284]. exp(NaN) = exp(88.72284) =
 * +Inf; x at or below -86.98997 gives 0.
 */
export function oneDnnExp(x: number): number {
  const belowRange = x < EXP_ARG_MIN;
  const clamped = maxps(minps(x, EXP_ARG_MAX), EXP_ARG_MIN);
  const n = Math.floor(Math.fround(Math.fround(clamped * LOG2E) + 0.5));
  // n ln 2 (8 x 24 bits) and the clamped x fit in 53 bits together: plain float64 is exact.
  const r = Math.fround(clamped - n * LN2);
  const scale = belowRange ? 0 : EXP_SCALE[n + 126]!;
  let p = fma32(EXP_P5, r, EXP_P4);
  p = fma32(p, r, EXP_P3);
  p = fma32(p, r, EXP_P2);
  p = fma32(p, r, EXP_P1);
  p = fma32(p, r, 1);
  return Math.fround(Math.fround(p * scale) * 2);
}

// ---- log ---------------------------------------------------------------------------------

const LOG_P1 = F(0xbf000000);
const LOG_P2 = F(0x3eaaaaab);
const LOG_P3 = F(0xbe8004ab);
const LOG_P4 = F(0x3e4cc8a3);

/** oneDNN's table: for each of the 32 leading-mantissa patterns, r_i ≈ 1/m and -log(r_i) - 127 ln 2. */
const LOG_TABLE = [
  0x3f800000, 0xc2b00f34, 0x3f780000, 0xc2affef2, 0x3f700000, 0xc2afee29, 0x3f680000, 0xc2afdccd, 0x3f600000,
  0xc2afcad6, 0x3f580000, 0xc2afb837, 0x3f580000, 0xc2afb837, 0x3f500000, 0xc2afa4e4, 0x3f480000, 0xc2af90cf,
  0x3f480000, 0xc2af90cf, 0x3f400000, 0xc2af7be9, 0x3f400000, 0xc2af7be9, 0x3f380000, 0xc2af661e, 0x3f380000,
  0xc2af661e, 0x3f300000, 0xc2af4f5c, 0x3f300000, 0xc2af4f5c, 0x3fa80000, 0xc2b09a6f, 0x3fa80000, 0xc2b09a6f,
  0x3fa00000, 0xc2b08174, 0x3fa00000, 0xc2b08174, 0x3fa00000, 0xc2b08174, 0x3f980000, 0xc2b06731, 0x3f980000,
  0xc2b06731, 0x3f900000, 0xc2b04b82, 0x3f900000, 0xc2b04b82, 0x3f900000, 0xc2b04b82, 0x3f900000, 0xc2b04b82,
  0x3f880000, 0xc2b02e3e, 0x3f880000, 0xc2b02e3e, 0x3f880000, 0xc2b02e3e, 0x3f800000, 0xc2b00f34, 0x3f800000,
  0xc2b00f34,
].map(F);

/**
 * oneDNN's vectorised float32 log (eltwise injector `log_compute_vector_fwd`), from the
 * bits of x: `E ln 2 + log(1 + z) - log(r_i)`, `z = m r_i - 1`, a degree-5 polynomial in z.
 * log(0) = -Inf, log(x < 0) = NaN, log(+Inf) = 88.72284 (the exponent field read as a
 * number). For a NaN argument oneDNN returns a finite number that depends on the NaN's
 * sign bit, which JavaScript does not keep; this returns NaN (a softmax never asks: its
 * sum of exps is never NaN).
 */
export function oneDnnLog(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return -Infinity;
  if (x < 0) return NaN;
  const bits = bitsOf(x);
  const index = (bits >>> 18) & 0x1f;
  const high = index >>> 4; // mantissa >= 1.5: m is halved and E counts one more
  const exponent = (bits >>> 23) + high;
  const m = fromBits((bits & 0x7fffff) | ((high ^ 127) << 23));
  const z = fma32(LOG_TABLE[2 * index]!, m, -1);
  let p = fma32(LOG_P4, z, LOG_P3);
  p = fma32(p, z, LOG_P2);
  p = fma32(p, z, LOG_P1);
  p = fma32(p, z, 1);
  p = Math.fround(p * z);
  const partial = fma32(exponent, LN2, LOG_TABLE[2 * index + 1]!);
  const hi = Math.fround(p + partial);
  const lo = Math.fround(Math.fround(hi - partial) - p);
  return Math.fround(hi + lo);
}

// ---- the row kernels -----------------------------------------------------------------------

/** Lanes of an AVX2 vector of float32. */
export const ONEDNN_LANES = 8;

const lanes = new Float64Array(ONEDNN_LANES);
/** The lanes before a butterfly step. */
const held = new Float64Array(ONEDNN_LANES);
const NEG_FLT_MAX = -FLT_MAX;

/** The butterfly that combines the lanes: lane i with lane i ^ s, for s = 4, 2, 1. */
function butterfly(op: (a: number, b: number) => number): void {
  for (let s = ONEDNN_LANES >>> 1; s >= 1; s >>>= 1) {
    held.set(lanes);
    for (let i = 0; i < ONEDNN_LANES; i++) lanes[i] = op(held[i]!, held[i ^ s]!);
  }
}

function add32(a: number, b: number): number {
  return Math.fround(a + b);
}

/** One row's exps; grows, never shrinks (a row is at most a tensor's size). */
let rowExps = new Float64Array(64);

/**
 * `oneDnnExp` of each entry of a row into `rowExps[c]`: a loop of its own, so that the
 * exp is inlined into it and its results stay unboxed.
 */
function expRow(src: ArrayLike<number>, base: number, stride: number, length: number): Float64Array {
  if (rowExps.length < length) rowExps = new Float64Array(length);
  const exps = rowExps;
  for (let c = 0, k = base; c < length; c++, k += stride) exps[c] = oneDnnExp(src[k]!);
  return exps;
}

/**
 * log_softmax of one row, `length` float32 entries at `x[base + c * stride]`, written to
 * `out` at the same places, as oneDNN computes it (see the module comment).
 */
export function oneDnnLogSoftmaxRow(
  x: ArrayLike<number>,
  base: number,
  stride: number,
  length: number,
  out: { [index: number]: number },
): void {
  lanes.fill(NEG_FLT_MAX);
  for (let c = 0, k = base; c < length; c++, k += stride) {
    const lane = c & (ONEDNN_LANES - 1);
    lanes[lane] = maxps(lanes[lane]!, x[k]!);
  }
  // The tail vector's lanes past the end hold -FLT_MAX (a blend), and are folded in too.
  const tail = length & (ONEDNN_LANES - 1);
  if (tail !== 0) for (let lane = tail; lane < ONEDNN_LANES; lane++) lanes[lane] = maxps(lanes[lane]!, NEG_FLT_MAX);
  butterfly(maxps);
  for (let c = 0, k = base; c < length; c++, k += stride) out[k] = Math.fround(x[k]! - lanes[c & (ONEDNN_LANES - 1)]!);
  const exps = expRow(out as ArrayLike<number>, base, stride, length);
  lanes.fill(0);
  for (let c = 0; c < length; c++) {
    const lane = c & (ONEDNN_LANES - 1);
    lanes[lane] = Math.fround(lanes[lane]! + exps[c]!);
  }
  butterfly(add32);
  const logSum = oneDnnLog(lanes[0]!);
  for (let c = 0, k = base; c < length; c++, k += stride) out[k] = Math.fround(out[k]! - logSum);
}

/**
 * log_softmax's backward for one row as oneDNN's reference kernel computes it:
 * `dx = fround(dlogp - fround(expf(logp) * S))` with `S` the in-order float32 sum of dlogp.
 * `logp` is the forward's output (float32), `gradLogp` float32 values. expf is
 * `fround(Math.exp)`: within 1 ulp of glibc's (see the module comment).
 */
export function oneDnnLogSoftmaxBackwardRow(
  logp: ArrayLike<number>,
  gradLogp: ArrayLike<number>,
  base: number,
  stride: number,
  length: number,
  out: { [index: number]: number },
): void {
  let sum = 0;
  for (let c = 0, k = base; c < length; c++, k += stride) sum = Math.fround(sum + gradLogp[k]!);
  for (let c = 0, k = base; c < length; c++, k += stride) {
    out[k] = Math.fround(gradLogp[k]! - Math.fround(Math.fround(Math.exp(logp[k]!)) * sum));
  }
}

// ---- who can follow it ---------------------------------------------------------------------

function holdsNanOrInf(data: ArrayLike<number>, infinities: 'positive' | 'both'): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== v || v === Infinity || (infinities === 'both' && v === -Infinity)) return true;
  }
  return false;
}

/** Whether the call multiplies its log-probabilities by something infinite (see oneDnnLogSoftmaxSupport). */
function infiniteMultiplier(plan: CallPlan): string | undefined {
  if (Math.abs(plan.appliedWeight ?? 1) === Infinity) return `the weight is ${plan.appliedWeight}`;
  const weights = plan.tensors.sample_weight?.data;
  if (weights !== undefined) {
    for (let i = 0; i < weights.length; i++) {
      if (Math.abs(weights[i]!) === Infinity) return `sample_weight[${i}] is ${weights[i]}`;
    }
  }
  const dense = plan.loss === 'SoftmaxCrossEntropyLoss' && !(plan.detail as { sparseLabel: boolean }).sparseLabel;
  if (dense) {
    const label = plan.tensors.label!.data;
    for (let i = 0; i < label.length; i++) if (Math.abs(label[i]!) === Infinity) return `label[${i}] is ${label[i]}`;
  }
  return undefined;
}

/**
 * Whether a call's answer is decided by oneDNN's lanes and approximations rather than by
 * the math: a loss that takes MXNet's float32 log_softmax on oneDNN's path, with a row
 * holding a NaN or +Inf. There MXNet keeps the row's other entries finite or -Inf (and
 * its float64 run, like the math, gives NaN). Without one the two agree to rounding, and
 * that rounding is large near 0 (oneDNN's log of a sum of 1 is 1.43e-6, so a one-entry
 * row, or a max whose neighbours' exps underflow, has logp 1.43e-6, not 0): multiplied by
 * something infinite (a weight, a sample_weight, SoftmaxCE's dense label) a loss element
 * near 0 is ±Inf or NaN (0 * Inf) by oneDNN's last bits (goldens
 * SoftmaxCrossEntropyLoss/onednn-log-one-*), so such calls are refused too.
 *
 * - SoftmaxCrossEntropyLoss and KLDivLoss, not from_logits: `pred` of rank 1-4, softmax
 *   over its last axis (`usesOneDnnLogSoftmax`), holding a NaN or +Inf, or an infinite
 *   multiplier (the scalar weight, sample_weight, SoftmaxCE's dense label; KLDiv's label
 *   is not one: `z * (log(z) - logp)` is Inf or NaN at an infinite z whatever logp).
 * - SDMLLoss: always oneDNN's path (N x N distances, the last axis); a NaN distance comes
 *   from a NaN or an infinity in x1 or x2 (Inf - Inf), so a call with one is refused.
 *
 * A backend that computes log_softmax with its own exp and log (tfjs, onnx) refuses such
 * a call with this reason: a gap, so the router runs it on backend-ts, which models
 * oneDNN's kernel; never the math's NaN row where MXNet gives numbers.
 */
export function oneDnnLogSoftmaxSupport(plan: CallPlan): Support {
  const reason =
    'a log_softmax row holds a NaN or an infinity, where MXNet 1.9.1 (oneDNN) gives finite or -Inf entries the math ' +
    "does not (its vectorised exp and log; spec rules/log-softmax-float32.ts): this backend's log_softmax gives the math";
  if (plan.loss === 'SoftmaxCrossEntropyLoss' || plan.loss === 'KLDivLoss') {
    const detail = plan.detail as { readonly fromLogits: boolean; readonly axis: number };
    const pred = plan.tensors.pred!;
    if (detail.fromLogits || !usesOneDnnLogSoftmax(pred.shape.length, detail.axis)) return { supported: true };
    if (holdsNanOrInf(pred.data, 'positive')) return { supported: false, reason };
    const multiplier = infiniteMultiplier(plan);
    if (multiplier === undefined) return { supported: true };
    return {
      supported: false,
      reason:
        `${multiplier}: it multiplies log-probabilities of MXNet 1.9.1's oneDNN log_softmax, whose log(1) is 1.43e-6 ` +
        "(spec rules/log-softmax-float32.ts), so a loss element near 0 becomes ±Infinity where the math's 0 gives NaN: " +
        "this backend's log_softmax gives the math",
    };
  }
  if (plan.loss === 'SDMLLoss') {
    const nonFinite = holdsNanOrInf(plan.tensors.x1!.data, 'both') || holdsNanOrInf(plan.tensors.x2!.data, 'both');
    return nonFinite ? { supported: false, reason } : { supported: true };
  }
  return { supported: true };
}
