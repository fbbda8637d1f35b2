/**
 * How close a backend must come to MXNet, in one table. A value passes when
 * |got - want| <= atol + rtol * |want|; NaN must meet NaN and an infinity the same
 * infinity, exactly. Where the golden holds no value (CTC's never-written gradient)
 * the backend must return 0.
 *
 * The default is MXNet's own tighter float32 check (test_loss.py compares BCE with rtol
 * 1e-4 / atol 1e-5): the goldens are float32, and every backend computes in float32 or
 * better, so disagreement beyond a few float32 ulps of the result means a wrong formula.
 * A rule may loosen it for named cases only with the measured error and its cause, and
 * never beyond what was measured.
 */
import picomatch from 'picomatch';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export interface ToleranceRule extends Tolerance {
  /** Glob over case names (`CTCLoss/*`). */
  readonly cases: string;
  /** Glob over backend names; every backend when absent. */
  readonly backends?: string;
  /** Why: the measured error and where it comes from. */
  readonly reason: string;
}

export const DEFAULT_TOLERANCE: Tolerance & { readonly reason: string } = {
  rtol: 1e-4,
  atol: 1e-5,
  reason: "MXNet's tighter float32 check (test_loss.py, BCE): rtol 1e-4, atol 1e-5",
};

export const TOLERANCE_RULES: readonly ToleranceRule[] = [];

const matchers = new Map<string, (s: string) => boolean>();
function matches(glob: string, value: string): boolean {
  let m = matchers.get(glob);
  if (m === undefined) {
    m = picomatch(glob, { windows: false });
    matchers.set(glob, m);
  }
  return m(value);
}

export function toleranceFor(
  caseName: string,
  backend: string,
  rules: readonly ToleranceRule[] = TOLERANCE_RULES,
): Tolerance {
  const rule = rules.find(
    (r) => matches(r.cases, caseName) && (r.backends === undefined || matches(r.backends, backend)),
  );
  return rule ?? DEFAULT_TOLERANCE;
}
