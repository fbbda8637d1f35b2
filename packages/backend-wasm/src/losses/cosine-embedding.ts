/**
 * CosineEmbeddingLoss. Vectors run along the last axis of input2 (input1 is read in its
 * shape); `cos = dot / max(|x| * |y|, 1e-12)` per row, then
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, shape (rows, 1),
 * weighted and returned unreduced; label is reshaped to (-1, 1) and broadcasts against
 * the cosine column. kernels/cosine-embedding.c makes the two passes over the vectors
 * (row statistics, gradients); the per-row scalars are computed here.
 *
 * Gradients follow MXNet's operators: `max(0, v)` sends the gradient to v only when
 * v > 0; `max(prod, 1e-12)` to the norms' product when prod >= 1e-12; the norm's gradient
 * `x / |x|` is 0/0 = NaN for a zero vector, as MXNet's autograd gives.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sizeOf } from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';

/** MXNet's floor under the product of the norms (a float32 array holding 1e-12). */
const EPS = Math.fround(1e-12);

interface RowStats {
  readonly dot: Float64Array;
  readonly normX: Float64Array;
  readonly normY: Float64Array;
  readonly denom: Float64Array;
}

export class CosineEmbeddingLoss extends WasmCompiledLoss<'CosineEmbeddingLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('CosineEmbeddingLoss', config, heap);
  }

  #stats(call: KernelCall, plan: CallPlan<'CosineEmbeddingLoss'>): { stats: RowStats; px: number; py: number } {
    const { rows, dim } = plan.detail;
    call.reserveCheck(rows * dim * 16 + rows * 64);
    const px = call.putF32(this.input(plan, 'input1'));
    const py = call.putF32(this.input(plan, 'input2'));
    const pd = call.outF32(rows * 2);
    const pxx = call.outF32(rows * 2);
    const pyy = call.outF32(rows * 2);
    call.kernel('cosine_stats')(px, py, rows, dim, pd, pxx, pyy);
    const dot = call.takeF64(pd, rows);
    const normX = call.takeF64(pxx, rows).map(Math.sqrt);
    const normY = call.takeF64(pyy, rows).map(Math.sqrt);
    const denom = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const prod = normX[r]! * normY[r]!;
      denom[r] = prod >= EPS ? prod : EPS;
    }
    return { stats: { dot, normX, normY, denom }, px, py };
  }

  #loss(plan: CallPlan<'CosineEmbeddingLoss'>, stats: RowStats, label: ArrayLike<number>, loss: Float64Array): void {
    const { rows, margin } = plan.detail;
    for (let q = 0; q < loss.length; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[label.length === 1 ? 0 : q]!;
      const cos = stats.dot[r]! / stats.denom[r]!;
      const hinge = (l === -1 ? 1 : 0) * (cos - margin);
      loss[q] = (1 - cos) * (l === 1 ? 1 : 0) + (0 > hinge ? 0 : hinge);
    }
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'CosineEmbeddingLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    this.#loss(plan, this.#stats(call, plan).stats, this.input(plan, 'label'), loss);
    return { loss: weighting.output(loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'CosineEmbeddingLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const { rows, dim, margin } = plan.detail;
    const label = this.input(plan, 'label');
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const { stats, px, py } = this.#stats(call, plan);
    this.#loss(plan, stats, label, loss);

    // d(loss)/d(cos) per loss row, summed onto the cosine rows it broadcast from.
    const cosGrad = new Float64Array(rows);
    const lossRows = sizeOf(plan.lossShape);
    for (let q = 0; q < lossRows; q++) {
      const r = rows === 1 ? 0 : q;
      const l = label[label.length === 1 ? 0 : q]!;
      const g = lossGrad[q]!;
      const isNegative = l === -1 ? 1 : 0;
      const cos = stats.dot[r]! / stats.denom[r]!;
      const hinge = isNegative * (cos - margin);
      cosGrad[r]! += -g * (l === 1 ? 1 : 0) + g * (hinge > 0 ? 1 : 0) * isNegative;
    }
    // Per row: gDot, gNormX, |x|, gNormY, |y| for the kernel's gradient pass.
    const coef = new Float64Array(rows * 5);
    for (let r = 0; r < rows; r++) {
      const gCos = cosGrad[r]!;
      const dot = stats.dot[r]!;
      const normX = stats.normX[r]!;
      const normY = stats.normY[r]!;
      const denom = stats.denom[r]!;
      const gDenom = gCos * (-dot / (denom * denom));
      const gProd = normX * normY >= EPS ? gDenom : 0;
      coef.set([gCos / denom, gProd * normY, normX, gProd * normX, normY], r * 5);
    }
    const pc = call.putF64(coef);
    const gx = call.outF32(rows * dim);
    const gy = call.outF32(rows * dim);
    call.kernel('cosine_grad')(px, py, rows, dim, pc, gx, gy);
    return this.result(plan, weighting.output(loss), {
      input1: call.takeF32(gx, rows * dim),
      input2: call.takeF32(gy, rows * dim),
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }
}
