/**
 * CosineEmbeddingLoss. Vectors run along the last axis of input2 (input1 is read in
 * input2's shape); `cos = dot / max(|x| * |y|, 1e-12)` per row, then
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, shape (rows, 1),
 * weighted and returned unreduced. label is reshaped to (-1, 1) and broadcasts against
 * the cosine column (either may have a single row).
 *
 * Gradients follow MXNet's operators: `max(0, v)` sends `g * (0 < v)` to v and
 * `max(prod, 1e-12)` sends `g * (prod >= 1e-12)` to the norms' product (products, so an
 * Inf gradient on the untaken side gives NaN, as in MXNet); the norm's gradient is
 * `g * (x / |x|)`, which is 0/0 = NaN for a zero vector, so a zero input row gets NaN
 * gradients, exactly as MXNet's autograd gives.
 *
 * Float32 as MXNet computes it, to the bit: the norms are mshadow's nrm2 reducer (a
 * running maximum and the sum of squares scaled by it, in float32, element by element:
 * it never overflows below float32's max, and a second Inf in a row gives Inf/Inf = NaN);
 * the dot is mshadow's Kahan-compensated float32 sum of the float32 products, which stays
 * Inf once it overflows; the norms' product, the cosine and each gradient step are rounded
 * to float32, and maximum keeps NaN (its gradient then goes nowhere). Bit-exact matters
 * here: a cosine of 0.99999994 instead of 1 is the difference between Inf and NaN under
 * an Inf sample weight.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sizeOf } from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { KahanSum } from '../mxnet-ops.js';
import { Float64Scratch } from '../scratch.js';

/** MXNet's floor under the product of the norms (a float32 array holding 1e-12). */
const EPS = Math.fround(1e-12);

interface RowStats {
  readonly dot: Float64Array;
  readonly normX: Float64Array;
  readonly normY: Float64Array;
  /** max(|x| * |y|, 1e-12). */
  readonly denom: Float64Array;
}

/**
 * One step of mshadow's nrm2 reducer, in float32: `scale` is the largest |v| so far and
 * `ssq` the sum of squares divided by scale^2 (the norm is `scale * sqrt(ssq)`). Zeros
 * are skipped; a NaN makes ssq NaN; the first Inf makes scale Inf and ssq 1, a second
 * one adds (Inf/Inf)^2 = NaN. Returns the new ssq; the caller keeps `max(scale, |v|)`.
 */
function nrm2Step(ssq: number, scale: number, v: number): number {
  if (v === 0) return ssq;
  const a = Math.abs(v);
  if (scale < a) {
    const r = Math.fround(scale / a);
    return Math.fround(1 + Math.fround(Math.fround(ssq * r) * r));
  }
  const r = Math.fround(a / scale);
  return Math.fround(ssq + Math.fround(r * r));
}

/** mshadow's nrm2 reducer's last step. */
const nrm2Finish = (ssq: number, scale: number): number => Math.fround(scale * Math.fround(Math.sqrt(ssq)));

/**
 * Per row: the Kahan dot of the float32 products and both norms, in one pass (the three
 * running values are independent, so the CPU overlaps their float32 steps).
 */
function rowStats(x: Float32Array, y: Float32Array, rows: number, dim: number, stats: RowStats): void {
  for (let r = 0; r < rows; r++) {
    const dot = new KahanSum();
    let ssqX = 0;
    let scaleX = 0;
    let ssqY = 0;
    let scaleY = 0;
    const end = (r + 1) * dim;
    for (let k = r * dim; k < end; k++) {
      const xk = x[k]!;
      const yk = y[k]!;
      dot.add(Math.fround(xk * yk));
      ssqX = nrm2Step(ssqX, scaleX, xk);
      // `scale < |v|` as mshadow tests it: a NaN never becomes the scale.
      if (scaleX < Math.abs(xk)) scaleX = Math.abs(xk);
      ssqY = nrm2Step(ssqY, scaleY, yk);
      if (scaleY < Math.abs(yk)) scaleY = Math.abs(yk);
    }
    const normX = nrm2Finish(ssqX, scaleX);
    const normY = nrm2Finish(ssqY, scaleY);
    const prod = Math.fround(normX * normY);
    stats.dot[r] = dot.sum;
    stats.normX[r] = normX;
    stats.normY[r] = normY;
    // mshadow's maximum: NaN wins.
    stats.denom[r] = prod >= EPS || prod !== prod ? prod : EPS;
  }
}

export class CosineEmbeddingLoss extends TsCompiledLoss<'CosineEmbeddingLoss'> {
  readonly #dot = new Float64Scratch();
  readonly #normX = new Float64Scratch();
  readonly #normY = new Float64Scratch();
  readonly #denom = new Float64Scratch();
  readonly #cosGrad = new Float64Scratch();

  constructor(config: unknown) {
    super('CosineEmbeddingLoss', config);
  }

  #stats(plan: CallPlan<'CosineEmbeddingLoss'>, x: Float32Array, y: Float32Array): RowStats {
    const { rows, dim } = plan.detail;
    const stats = {
      dot: this.#dot.take(rows),
      normX: this.#normX.take(rows),
      normY: this.#normY.take(rows),
      denom: this.#denom.take(rows),
    };
    rowStats(x, y, rows, dim, stats);
    return stats;
  }

  /** The unweighted loss per output row, into `loss` (length = rows of the loss). */
  #loss(plan: CallPlan<'CosineEmbeddingLoss'>, stats: RowStats, label: Float32Array, loss: Float64Array): void {
    const { rows, margin } = plan.detail;
    const margin32 = Math.fround(margin);
    const labelRows = label.length;
    for (let q = 0; q < loss.length; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[labelRows === 1 ? 0 : q]!;
      const cos = Math.fround(stats.dot[r]! / stats.denom[r]!);
      const hinge = (l === -1 ? 1 : 0) * Math.fround(cos - margin32);
      loss[q] = Math.fround(Math.fround(1 - cos) * (l === 1 ? 1 : 0) + (0 > hinge ? 0 : hinge));
    }
  }

  protected runForward(plan: CallPlan<'CosineEmbeddingLoss'>): ForwardResult {
    const x = this.floatInput(plan, 'input1');
    const y = this.floatInput(plan, 'input2');
    const label = this.floatInput(plan, 'label');
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    this.#loss(plan, this.#stats(plan, x, y), label, loss);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(plan: CallPlan<'CosineEmbeddingLoss'>, headGrad: FloatTensor): ForwardBackwardResult {
    const x = this.floatInput(plan, 'input1');
    const y = this.floatInput(plan, 'input2');
    const label = this.floatInput(plan, 'label');
    const { rows, dim, margin } = plan.detail;
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const stats = this.#stats(plan, x, y);
    this.#loss(plan, stats, label, loss);

    // d(loss)/d(cos): `-(g * similar)` from `1 - cos` plus `g * (0 < v) * dissimilar` from
    // the hinge. A single cosine row broadcast over many label rows gets each part summed
    // back by its own broadcast's backward (a Kahan sum), then the two added.
    const cosGrad = this.#cosGrad.take(rows);
    const margin32 = Math.fround(margin);
    const labelRows = label.length;
    const lossRows = sizeOf(plan.lossShape);
    const pull = new KahanSum();
    const push = new KahanSum();
    for (let q = 0; q < lossRows; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[labelRows === 1 ? 0 : q]!;
      const g = lossGrad[q]!;
      const isNegative = l === -1 ? 1 : 0;
      const cos = Math.fround(stats.dot[r]! / stats.denom[r]!);
      const hinge = isNegative * Math.fround(cos - margin32);
      const pullGrad = g * (l === 1 ? 1 : 0);
      const pushGrad = g * (hinge > 0 ? 1 : 0) * isNegative;
      if (rows === lossRows) {
        cosGrad[r] = Math.fround(-pullGrad + pushGrad);
      } else {
        pull.add(pullGrad);
        push.add(pushGrad);
      }
    }
    if (rows !== lossRows) cosGrad[0] = Math.fround(-pull.sum + push.sum);

    const gx = new Float32Array(x.length);
    const gy = new Float32Array(y.length);
    for (let r = 0; r < rows; r++) {
      const gCos = cosGrad[r]!;
      const dot = stats.dot[r]!;
      const normX = stats.normX[r]!;
      const normY = stats.normY[r]!;
      const denom = stats.denom[r]!;
      // div's gradients `G / b` and `G * (-a / b^2)`, each step in float32.
      const gDot = Math.fround(gCos * Math.fround(1 / denom));
      const gDenom = Math.fround(gCos * Math.fround(-dot / Math.fround(denom * denom)));
      // broadcast_maximum's `g * (prod >= 1e-12)`: an Inf or NaN g gives NaN either way.
      const gProd = gDenom * (Math.fround(normX * normY) >= EPS ? 1 : 0);
      const gNormX = Math.fround(gProd * normY);
      const gNormY = Math.fround(gProd * normX);
      const end = (r + 1) * dim;
      for (let k = r * dim; k < end; k++) {
        const xk = x[k]!;
        const yk = y[k]!;
        gx[k] = Math.fround(gDot * yk) + Math.fround(gNormX * Math.fround(xk / normX));
        gy[k] = Math.fround(gDot * xk) + Math.fround(gNormY * Math.fround(yk / normY));
      }
    }
    return this.result(plan, weighting.output(loss), {
      input1: gx,
      input2: gy,
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }

  protected override releaseScratch(): void {
    for (const s of [this.#dot, this.#normX, this.#normY, this.#denom, this.#cosGrad]) s.release();
  }
}
