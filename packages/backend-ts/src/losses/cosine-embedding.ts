/**
 * CosineEmbeddingLoss. Vectors run along the last axis of input2 (input1 is read in
 * input2's shape); `cos = dot / max(|x| * |y|, 1e-12)` per row, then
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, shape (rows, 1),
 * weighted and returned unreduced. label is reshaped to (-1, 1) and broadcasts against
 * the cosine column (either may have a single row).
 *
 * Gradients follow MXNet's operators: `max(0, v)` sends the gradient to v only when
 * v > 0; `max(prod, 1e-12)` sends it to the norms' product when prod >= 1e-12; the
 * norm's gradient is `x / |x|`, which is 0/0 = NaN for a zero vector, so a zero input row
 * gets NaN gradients, exactly as MXNet's autograd gives.
 *
 * Float32 as MXNet computes it: each product x*y and the dot's sum overflow to Inf where
 * MXNet's do (the norms do not: mshadow's nrm2 is scaled, like float64 here), the norms'
 * product, the cosine and each gradient step are rounded to float32, and maximum keeps
 * NaN (its gradient then goes nowhere), so Inf/Inf and 0 * NaN give NaN as in MXNet.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sizeOf } from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
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

function rowStats(x: Float32Array, y: Float32Array, rows: number, dim: number, stats: RowStats): void {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let xx = 0;
    let yy = 0;
    const end = (r + 1) * dim;
    for (let k = r * dim; k < end; k++) {
      const xk = x[k]!;
      const yk = y[k]!;
      dot += Math.fround(xk * yk);
      if (Math.abs(dot) >= FLOAT32_OVERFLOW) dot *= Infinity;
      xx += xk * xk;
      yy += yk * yk;
    }
    const normX = Math.fround(Math.sqrt(xx));
    const normY = Math.fround(Math.sqrt(yy));
    const prod = Math.fround(normX * normY);
    stats.dot[r] = Math.fround(dot);
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

    // d(loss)/d(cos) per loss row, summed onto the cosine rows it broadcast from.
    const cosGrad = this.#cosGrad.takeZeroed(rows);
    const margin32 = Math.fround(margin);
    const labelRows = label.length;
    const lossRows = sizeOf(plan.lossShape);
    for (let q = 0; q < lossRows; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[labelRows === 1 ? 0 : q]!;
      const g = lossGrad[q]!;
      const isNegative = l === -1 ? 1 : 0;
      const cos = Math.fround(stats.dot[r]! / stats.denom[r]!);
      const hinge = isNegative * Math.fround(cos - margin32);
      cosGrad[r]! += Math.fround(-(g * (l === 1 ? 1 : 0)) + g * (hinge > 0 ? 1 : 0) * isNegative);
    }

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
      const gProd = Math.fround(normX * normY) >= EPS ? gDenom : 0;
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
