/** Element-wise comparison of a backend's output with a golden expectation. */
import type { ExpectedTensor } from '@gluon-loss/golden';
import type { Shape } from '@gluon-loss/spec';
import type { Tolerance } from './tolerances.js';

export interface Comparison {
  readonly ok: boolean;
  /** Largest |got - want| over elements where both are finite; null if there are none. */
  readonly maxAbsErr: number | null;
  /** Largest |got - want| / |want| over those elements with want != 0. */
  readonly maxRelErr: number | null;
  /**
   * For the message: the first element out of tolerance, how many are, where, the worst
   * one, and the rule applied.
   */
  readonly mismatch?: string;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function compareTensor(
  got: { readonly data: ArrayLike<number>; readonly shape: Shape } | undefined,
  want: ExpectedTensor,
  tol: Tolerance,
): Comparison {
  if (got === undefined) return { ok: false, maxAbsErr: null, maxRelErr: null, mismatch: 'missing' };
  if (!sameShape(got.shape, want.shape) || got.data.length !== want.data.length) {
    return {
      ok: false,
      maxAbsErr: null,
      maxRelErr: null,
      mismatch: `shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`,
    };
  }
  let maxAbs: number | null = null;
  let maxRel: number | null = null;
  const failing: number[] = [];
  // The worst element: the one furthest beyond its tolerance (a wrong NaN or infinity first).
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    let excess: number; // > 0: out of tolerance
    if (want.undefinedMask?.[i]) {
      excess = g === 0 ? 0 : Infinity; // MXNet leaves it unwritten; our backends write 0
    } else if (Number.isNaN(w) || Number.isNaN(g)) {
      excess = Number.isNaN(w) && Number.isNaN(g) ? 0 : Infinity;
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      excess = w === g ? 0 : Infinity;
    } else {
      const abs = Math.abs(g - w);
      maxAbs = Math.max(maxAbs ?? 0, abs);
      if (w !== 0) maxRel = Math.max(maxRel ?? 0, abs / Math.abs(w));
      excess = abs - (tol.atol + tol.rtol * Math.abs(w));
    }
    if (excess > 0) {
      failing.push(i);
      if (excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (failing.length === 0) return { ok: true, maxAbsErr: maxAbs, maxRelErr: maxRel };
  const at = (i: number): string => {
    const w = want.undefinedMask?.[i] ? '0 (undefined in MXNet)' : String(want.data[i]);
    return `element ${i} ${formatIndex(i, want.shape)}: got ${got.data[i]}, expected ${w}`;
  };
  const shown = failing.slice(0, 5).map((i) => formatIndex(i, want.shape));
  const mismatch =
    `${at(failing[0]!)}; ${failing.length} of ${want.data.length} elements out of tolerance ` +
    `(at ${shown.join(' ')}${failing.length > shown.length ? ' ...' : ''}); worst ${at(worst)}; ` +
    `rule |got - want| <= ${tol.atol} + ${tol.rtol} * |want|, NaN and infinities exact` +
    ('reason' in tol ? ` (${String(tol.reason)})` : '');
  return { ok: false, maxAbsErr: maxAbs, maxRelErr: maxRel, mismatch };
}

/** Element `i` of a row-major tensor of `shape`, as its index per axis: `[1, 2]`. */
function formatIndex(i: number, shape: Shape): string {
  const index: number[] = [];
  for (let d = shape.length - 1, rest = i; d >= 0; d--) {
    index.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `[${index.join(', ')}]`;
}
