/** Element-wise comparison of a backend's output with a golden expectation. */
import type { ExpectedTensor } from '@gluon-loss/golden';
import type { Shape } from '@gluon-loss/spec';
import { FLOAT64_RULE, float32Ulp, type Float64Rule, type Tolerance } from './tolerances.js';

/**
 * The rule a tensor was judged by: `fixed` (atol + rtol against MXNet's float32 value
 * only: a version-1 golden) or `fixed-or-float64` (that, or closeness to the float64
 * reference scaled by MXNet's own float32 error: a version-2 golden).
 */
export type ToleranceRuleKind = 'fixed' | 'fixed-or-float64';

export interface Comparison {
  readonly ok: boolean;
  readonly rule: ToleranceRuleKind;
  /** Largest |got - want| over elements where both are finite; null if there are none. */
  readonly maxAbsErr: number | null;
  /** Largest |got - want| / |want| over those elements with want != 0. */
  readonly maxRelErr: number | null;
  /** The float64 rule's bound for this tensor, min(K * max(e, 1 ulp), cap); absent under the fixed rule. */
  readonly float64Bound?: number;
  /** Elements outside the fixed tolerance that the float64 rule passed. */
  readonly passedByFloat64: number;
  /**
   * For the message: the first element out of tolerance with its values and the rule it
   * failed, how many are out and where, the worst one, and the rule applied.
   */
  readonly mismatch?: string;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The multi-index of flat element `i` of a row-major tensor of `shape`. */
function formatIndex(i: number, shape: Shape): string {
  const index: number[] = [];
  for (let d = shape.length - 1, rest = i; d >= 0; d--) {
    index.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `[${index.join(', ')}]`;
}

/** MXNet's float32 error on this tensor and its largest magnitude, over the elements where both values are finite. */
function float32Error(want: ExpectedTensor, ref: ExpectedTensor): { e: number; largest: number } {
  let e = 0;
  let largest = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i]!;
    const r = ref.data[i]!;
    if (want.undefinedMask?.[i] || !Number.isFinite(w) || !Number.isFinite(r)) continue;
    e = Math.max(e, Math.abs(w - r));
    largest = Math.max(largest, Math.abs(w));
  }
  return { e, largest };
}

/** The rule element `got` failed, for the message (written only for the first failing element: it costs microseconds). */
function whyOutOfTolerance(
  g: number,
  w: number,
  r: number | undefined,
  masked: boolean,
  tol: Tolerance,
  bound: number | undefined,
  e: number,
  float64Rule: Float64Rule,
): string {
  if (masked) return 'MXNet leaves it undefined, backends write 0';
  if (!Number.isFinite(w)) return 'non-finite in MXNet: must match exactly';
  if (!Number.isFinite(g)) return 'MXNet is finite';
  const abs = Math.abs(g - w);
  let why = `fixed rule: |got - mxnet| = ${abs.toPrecision(3)} > ${(tol.atol + tol.rtol * Math.abs(w)).toPrecision(3)}`;
  if (r === undefined || bound === undefined) return why;
  if (!Number.isFinite(r)) return `${why}; the float64 reference is non-finite here, so only the fixed rule applies`;
  why +=
    `; float64 rule: |got - ref64| = ${Math.abs(g - r).toPrecision(3)} > ${bound.toPrecision(3)}` +
    ` (K ${float64Rule.k} x max(e ${e.toPrecision(3)}, 1 ulp), capped at ${float64Rule.cap} of the largest value)`;
  return why;
}

/**
 * Compares `got` with MXNet's float32 values `want` under the fixed tolerance `tol`, and,
 * when the golden gives the float64 reference `ref64`, also under the float64 rule (see
 * tolerances.ts): an element passes by either.
 */
export function compareTensor(
  got: { readonly data: ArrayLike<number>; readonly shape: Shape } | undefined,
  want: ExpectedTensor,
  tol: Tolerance,
  ref64?: ExpectedTensor,
  float64Rule: Float64Rule = FLOAT64_RULE,
): Comparison {
  const rule: ToleranceRuleKind = ref64 === undefined ? 'fixed' : 'fixed-or-float64';
  const failed = (mismatch: string): Comparison => ({
    ok: false,
    rule,
    maxAbsErr: null,
    maxRelErr: null,
    passedByFloat64: 0,
    mismatch,
  });
  if (got === undefined) return failed('missing');
  if (!sameShape(got.shape, want.shape) || got.data.length !== want.data.length) {
    return failed(`shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`);
  }
  if (ref64 !== undefined && ref64.data.length !== want.data.length) {
    return failed(`the golden's float64 reference has ${ref64.data.length} values, MXNet's ${want.data.length}`);
  }
  let bound: number | undefined;
  let e = 0;
  if (ref64 !== undefined) {
    const err = float32Error(want, ref64);
    e = err.e;
    bound = Math.min(float64Rule.k * Math.max(e, float32Ulp(err.largest)), float64Rule.cap * err.largest);
  }
  let maxAbs: number | null = null;
  let maxRel: number | null = null;
  let passedByFloat64 = 0;
  let first: string | undefined;
  const failing: number[] = [];
  // The worst element: the one furthest beyond its tolerance (a wrong NaN or infinity first).
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    const r = ref64?.data[i];
    const masked = Boolean(want.undefinedMask?.[i]);
    let ok: boolean;
    let excess = Infinity; // how far beyond the fixed tolerance, for the worst element
    if (masked)
      ok = g === 0; // MXNet leaves it unwritten; our backends write 0
    else if (Number.isNaN(w)) ok = Number.isNaN(g);
    else if (!Number.isFinite(w)) ok = g === w;
    else if (!Number.isFinite(g)) ok = false;
    else {
      const abs = Math.abs(g - w);
      maxAbs = Math.max(maxAbs ?? 0, abs);
      if (w !== 0) maxRel = Math.max(maxRel ?? 0, abs / Math.abs(w));
      const fixedBound = tol.atol + tol.rtol * Math.abs(w);
      ok = abs <= fixedBound;
      excess = abs - fixedBound;
      if (!ok && r !== undefined && bound !== undefined && Number.isFinite(r)) {
        ok = Math.abs(g - r) <= bound;
        if (ok) passedByFloat64++;
      }
    }
    if (ok) continue;
    failing.push(i);
    if (excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
    if (first === undefined) {
      const expected = masked ? '0 (undefined in MXNet)' : String(w);
      const why = whyOutOfTolerance(g, w, r, masked, tol, bound, e, float64Rule);
      first = `element ${i} ${formatIndex(i, want.shape)}: got ${g}, expected ${expected}${r !== undefined && !masked ? ` (float64 ${r})` : ''} [${why}]`;
    }
  }
  let mismatch: string | undefined;
  if (first !== undefined) {
    const at = (i: number): string => {
      const w = want.undefinedMask?.[i] ? '0 (undefined in MXNet)' : String(want.data[i]);
      return `element ${i} ${formatIndex(i, want.shape)}: got ${got.data[i]}, expected ${w}`;
    };
    const shown = failing.slice(0, 5).map((i) => formatIndex(i, want.shape));
    mismatch =
      `${first}; ${failing.length} of ${want.data.length} elements out of tolerance ` +
      `(at ${shown.join(' ')}${failing.length > shown.length ? ' ...' : ''}); worst ${at(worst)}; ` +
      `rule |got - want| <= ${tol.atol} + ${tol.rtol} * |want|` +
      (bound === undefined ? '' : ` or |got - ref64| <= ${bound.toPrecision(3)}`) +
      ', NaN and infinities exact' +
      ('reason' in tol ? ` (${String(tol.reason)})` : '');
  }
  const common = {
    rule,
    maxAbsErr: maxAbs,
    maxRelErr: maxRel,
    passedByFloat64,
    ...(bound === undefined ? {} : { float64Bound: bound }),
  };
  return mismatch === undefined ? { ok: true, ...common } : { ok: false, ...common, mismatch };
}
