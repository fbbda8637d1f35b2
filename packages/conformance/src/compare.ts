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
  /** The first element out of tolerance, for the message. */
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
  let mismatch: string | undefined;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    let ok: boolean;
    if (want.undefinedMask?.[i]) {
      ok = g === 0; // MXNet leaves it unwritten; our backends write 0
    } else if (Number.isNaN(w) || Number.isNaN(g)) {
      ok = Number.isNaN(w) && Number.isNaN(g);
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      ok = w === g;
    } else {
      const abs = Math.abs(g - w);
      maxAbs = Math.max(maxAbs ?? 0, abs);
      if (w !== 0) maxRel = Math.max(maxRel ?? 0, abs / Math.abs(w));
      ok = abs <= tol.atol + tol.rtol * Math.abs(w);
    }
    if (!ok && mismatch === undefined) {
      mismatch = `element ${i}: got ${g}, expected ${want.undefinedMask?.[i] ? '0 (undefined in MXNet)' : w}`;
    }
  }
  return mismatch === undefined
    ? { ok: true, maxAbsErr: maxAbs, maxRelErr: maxRel }
    : { ok: false, maxAbsErr: maxAbs, maxRelErr: maxRel, mismatch };
}
