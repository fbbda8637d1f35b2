/**
 * CosineEmbeddingLoss. Vectors run along the last axis of input2 (input1 is read in its
 * shape); `cos = dot / max(|x| * |y|, 1e-12)` per row, then
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, shape (rows, 1),
 * weighted and returned unreduced; label is reshaped to (-1, 1) and broadcasts against
 * the cosine column. kernels/cosine-embedding.c makes the two passes over the vectors
 * (row statistics, gradients); the per-row scalars are computed here, in backend-ts's
 * order of operations.
 *
 * Gradients follow MXNet's operators: `max(0, v)` sends `g * (0 < v)` to v and
 * `max(prod, 1e-12)` sends `g * (prod >= 1e-12)` to the norms' product (products, so an
 * Inf gradient on the untaken side gives NaN); the norm's gradient `x / |x|` is
 * 0/0 = NaN for a zero vector, as MXNet's autograd gives.
 *
 * Two kernels per pass, chosen once per call: ordinary values run the float64 SIMD passes
 * (exact float32 products summed in float64, within a rounding of MXNet's sums) with
 * float64 scalars; a call holding special values runs the float32 passes, MXNet's Kahan
 * dot and mshadow's scaled nrm2 bit for bit, with every scalar step rounded to float32
 * (a float64 dot does not overflow where MXNet's does, and a cosine of 0.99999994
 * instead of 1 decides between ±Inf and NaN under an infinite sample_weight). That
 * exactness is why this loss takes an infinite sample_weight (`reproducesBitExact`), which
 * the spec's bitExactOnly refuses for a backend that rounds otherwise.
 */
import {
  type BitExactKinds,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  sizeOf,
} from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';

/** MXNet's floor under the product of the norms (a float32 array holding 1e-12). */
const EPS = Math.fround(1e-12);

interface RowStats {
  readonly dot: Float64Array;
  readonly normX: Float64Array;
  readonly normY: Float64Array;
  /** max(|x| * |y|, 1e-12), NaN kept (mshadow's maximum). */
  readonly denom: Float64Array;
  /** How the scalars computed from these are rounded. */
  readonly round: Rounding;
}

/** True for ±Inf only (NaN is not infinite). */
const isInfinite = (v: number): boolean => v === Infinity || v === -Infinity;

/**
 * How the per-row scalars are rounded: each step to float32 as MXNet materialises it
 * (special values, beside the float32 passes), or not at all (ordinary values, beside the
 * float64 passes: float32 coefficients in a float64 pass leave their rounding in gradients
 * that cancel, such as a single-element row's, where MXNet's own rounding cancels; golden
 * CosineEmbeddingLoss/diff-1-110).
 */
type Rounding = (v: number) => number;
const FLOAT32: Rounding = Math.fround;
const FLOAT64: Rounding = (v) => v;

/** mshadow's Kahan sum, one term at a time, in `round`'s precision (the compensation stops at Inf). */
class KahanSum {
  sum = 0;
  #residual = 0;

  constructor(private readonly round: Rounding) {}

  add(value: number): void {
    const round = this.round;
    const term = round(value - this.#residual);
    const next = round(this.sum + term);
    this.#residual = isInfinite(next) ? 0 : round(round(next - this.sum) - term);
    this.sum = next;
  }
}

export class CosineEmbeddingLoss extends WasmCompiledLoss<'CosineEmbeddingLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('CosineEmbeddingLoss', config, heap);
  }

  /** The float32 passes follow MXNet's sums to the bit (see the module comment). */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  /** The float32 passes reproduce MXNet's sums to the bit, so an infinite sample_weight is taken. */
  protected override get reproducesBitExact(): BitExactKinds {
    return { ...super.reproducesBitExact, cosineFloat32Sums: true };
  }

  #stats(
    call: KernelCall,
    plan: CallPlan<'CosineEmbeddingLoss'>,
    exact: boolean,
  ): { stats: RowStats; px: number; py: number } {
    const { rows, dim } = plan.detail;
    call.reserveCheck(rows * dim * 16 + rows * 64);
    const px = call.putF32(this.input(plan, 'input1'));
    const py = call.putF32(this.input(plan, 'input2'));
    let dot: Float64Array;
    let normX: Float64Array;
    let normY: Float64Array;
    if (exact) {
      const pd = call.outF32(rows);
      const pnx = call.outF32(rows);
      const pny = call.outF32(rows);
      call.kernel('cosine_stats_f32')(px, py, rows, dim, pd, pnx, pny);
      dot = Float64Array.from(call.takeF32(pd, rows));
      normX = Float64Array.from(call.takeF32(pnx, rows));
      normY = Float64Array.from(call.takeF32(pny, rows));
    } else {
      const pd = call.outF32(rows * 2);
      const pxx = call.outF32(rows * 2);
      const pyy = call.outF32(rows * 2);
      call.kernel('cosine_stats')(px, py, rows, dim, pd, pxx, pyy);
      dot = call.takeF64(pd, rows);
      normX = call.takeF64(pxx, rows).map(Math.sqrt);
      normY = call.takeF64(pyy, rows).map(Math.sqrt);
    }
    const round = exact ? FLOAT32 : FLOAT64;
    const denom = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const prod = round(normX[r]! * normY[r]!);
      denom[r] = prod >= EPS || prod !== prod ? prod : EPS;
    }
    return { stats: { dot, normX, normY, denom, round }, px, py };
  }

  #loss(plan: CallPlan<'CosineEmbeddingLoss'>, stats: RowStats, label: ArrayLike<number>, loss: Float64Array): void {
    const { rows, margin } = plan.detail;
    const round = stats.round;
    const margin32 = round(margin);
    for (let q = 0; q < loss.length; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[label.length === 1 ? 0 : q]!;
      const cos = round(stats.dot[r]! / stats.denom[r]!);
      const hinge = (l === -1 ? 1 : 0) * round(cos - margin32);
      loss[q] = round(round(1 - cos) * (l === 1 ? 1 : 0) + (0 > hinge ? 0 : hinge));
    }
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'CosineEmbeddingLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    const { stats } = this.#stats(call, plan, this.reducesInFloat32Order(call, plan));
    this.#loss(plan, stats, this.input(plan, 'label'), loss);
    return { loss: weighting.output(loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'CosineEmbeddingLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const { rows, dim, margin } = plan.detail;
    const exact = this.reducesInFloat32Order(call, plan);
    const label = this.input(plan, 'label');
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const { stats, px, py } = this.#stats(call, plan, exact);
    this.#loss(plan, stats, label, loss);

    // d(loss)/d(cos): `-(g * similar)` from `1 - cos` plus `g * (0 < v) * dissimilar` from
    // the hinge. A single cosine row broadcast over many label rows gets each part summed
    // back by its own broadcast's backward (a Kahan sum), then the two added.
    const round = stats.round;
    const cosGrad = new Float64Array(rows);
    const margin32 = round(margin);
    const lossRows = sizeOf(plan.lossShape);
    const pull = new KahanSum(round);
    const push = new KahanSum(round);
    for (let q = 0; q < lossRows; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[label.length === 1 ? 0 : q]!;
      const g = lossGrad[q]!;
      const isNegative = l === -1 ? 1 : 0;
      const cos = round(stats.dot[r]! / stats.denom[r]!);
      const hinge = isNegative * round(cos - margin32);
      const pullGrad = g * (l === 1 ? 1 : 0);
      const pushGrad = g * (hinge > 0 ? 1 : 0) * isNegative;
      if (rows === lossRows) {
        cosGrad[r] = round(-pullGrad + pushGrad);
      } else {
        pull.add(pullGrad);
        push.add(pushGrad);
      }
    }
    if (rows !== lossRows) cosGrad[0] = round(-pull.sum + push.sum);

    // Per row: gDot, gNormX, |x|, gNormY, |y| for the kernel's gradient pass.
    const coef = new Float64Array(rows * 5);
    for (let r = 0; r < rows; r++) {
      const gCos = cosGrad[r]!;
      const dot = stats.dot[r]!;
      const normX = stats.normX[r]!;
      const normY = stats.normY[r]!;
      const denom = stats.denom[r]!;
      // div's gradients `G / b` and `G * (-a / b^2)`, each step in float32.
      const gDot = round(gCos * round(1 / denom));
      const gDenom = round(gCos * round(-dot / round(denom * denom)));
      // broadcast_maximum's `g * (prod >= 1e-12)`: an Inf or NaN g gives NaN either way.
      const gProd = gDenom * (round(normX * normY) >= EPS ? 1 : 0);
      coef.set([gDot, round(gProd * normY), normX, round(gProd * normX), normY], r * 5);
    }
    const gx = call.outF32(rows * dim);
    const gy = call.outF32(rows * dim);
    if (exact) call.kernel('cosine_grad_f32')(px, py, rows, dim, call.putF32(coef), gx, gy);
    else call.kernel('cosine_grad')(px, py, rows, dim, call.putF64(coef), gx, gy);
    return this.result(plan, weighting.output(loss), {
      input1: call.takeF32(gx, rows * dim),
      input2: call.takeF32(gy, rows * dim),
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }
}
