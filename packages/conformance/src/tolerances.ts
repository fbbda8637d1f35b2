/**
 * How close a backend must come to MXNet, in one place.
 *
 * Non-finite values: where MXNet's float32 value is NaN the backend must give NaN, where it
 * is an infinity the same infinity, exactly; where the golden holds no value (CTC's
 * never-written gradient) the backend must return 0.
 *
 * Finite values, a version-1 golden (MXNet's float32 values only): the fixed rule,
 * |got - mx32| <= atol + rtol * |mx32| with MXNet's own tighter float32 check (test_loss.py
 * compares BCE with rtol 1e-4 / atol 1e-5).
 *
 * Finite values, a version-2 golden (which also holds `ref64`, the same computation in
 * float64): an element passes by the fixed rule, or by the float64 rule
 *
 *     |got - ref64| <= min(K * max(e, 1 ulp), cap * largest)
 *
 * where e is MXNet's own float32 error on that tensor (its largest |mx32 - ref64|), 1 ulp
 * is one float32 ulp of the tensor's largest finite |mx32| (`largest`), K = 4 and cap =
 * 1e-3. Where the float64 reference is non-finite but MXNet's value is finite, only the
 * fixed rule applies (MXNet's value is what is matched).
 *
 * Why (measured with `conformance/generator/measure_ref64.py` over the 306 call cases, 949
 * tensors, and `packages/conformance/scripts/float64-margins.mjs` over the five Node
 * backends):
 * - MXNet's float32 error is not uniform. In most tensors e is at most 3 float32 ulps of
 *   the tensor's largest value (median 0.6), but it reaches 142 ulps in CTC gradients
 *   (the log-space alpha/beta recursions add log-probabilities of magnitude up to ~200 at
 *   activation scale 100, each rounded to ulp(200) = 1.5e-5, which exp turns into a
 *   relative error of the posteriors: `extreme-activations`, e = 1.7e-5 at |max| 1.1,
 *   0.44 of the fixed bound), 144 ulps in SoftmaxCE's sample_weight gradient when it
 *   broadcasts to N x N (a sum of head * loss terms of size ~10 that cancels to 0.19),
 *   112 ulps in SDML's loss (KL terms that cancel) and 28 in KLDiv with from_logits=False.
 *   A fixed rtol/atol treats a small element of such a tensor as if it carried only its
 *   own rounding, when it carries the rounding of the large terms it came from; the
 *   float64 rule scales with the error MXNet itself made on that tensor.
 * - K = 4, the largest the design allows, because it is needed: honest float32 backends
 *   with another evaluation order land up to 3.94 x max(e, 1 ulp) from the float64
 *   reference (tfjs-wasm, onnx-wasm, onnx-node on CTC `label-lengths`; tfjs-cpu 2.7 on CTC,
 *   onnx-node 2.3 on KLDiv, 2.0 on CosineEmbedding; ts, which reproduces MXNet's float32
 *   arithmetic, at most 1.1), and every one of those also passes the fixed rule. A
 *   backend twice as far from the exact answer as MXNet, on the other side of it, is 3 e
 *   from MXNet and still passes; one off by a wrong formula is off by far more than 4 e.
 * - The cap (1e-3 of the tensor's largest magnitude) keeps a tensor on which MXNet's own
 *   float32 is poor from licensing a wrong answer; no golden tensor comes near it (the
 *   largest e is 1.5e-5 of its tensor's magnitude, outside tensors whose true values are
 *   below float32's resolution, where only atol matters: LogisticLoss `extreme-logits`,
 *   whose float32 loss rounds log(1 + 9e-14) to 0; CosineEmbedding
 *   `parallel-and-opposite`, whose true gradient is 0 and MXNet's is 1-ulp noise).
 * - The fixed rule stays: it is what version-1 files and outside tools know, and it
 *   covers tensors whose values are at float32's noise floor, where e says nothing.
 *
 * A named rule below may loosen the fixed rule for named cases only with the measured
 * error and its cause, and never beyond what was measured.
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

export interface Float64Rule {
  /** How many times MXNet's own float32 error a backend may be from the float64 reference (at most 4). */
  readonly k: number;
  /** The bound never exceeds this fraction of the tensor's largest magnitude. */
  readonly cap: number;
  readonly reason: string;
}

export const FLOAT64_RULE: Float64Rule = {
  k: 4,
  cap: 1e-3,
  reason:
    "|got - ref64| <= min(4 max(e, 1 ulp), 1e-3 |largest|), e = MXNet's largest |mx32 - ref64| on the tensor: " +
    'honest float32 backends measured up to 3.94 e from the float64 reference (CTC)',
};

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);

/** The distance from |x| (rounded to float32) to the next float32 up: one float32 ulp at x's magnitude. */
export function float32Ulp(x: number): number {
  f32Bits[0] = Math.abs(x);
  const here = f32Bits[0];
  if (!Number.isFinite(here)) return Number.POSITIVE_INFINITY;
  if (u32Bits[0] === 0x7f7fffff) return 2 ** 104; // float32's max: the ulp below it
  u32Bits[0] = u32Bits[0]! + 1;
  return f32Bits[0] - here;
}

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
