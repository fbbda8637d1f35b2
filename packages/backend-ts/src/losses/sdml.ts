/**
 * SDMLLoss (batchwise smoothed deep metric learning), as MXNet 1.9.1 computes it:
 * `d[i][j] = sum_k (x1[i][k] - x2[j][k])^2`, `logp = log_softmax(-d, axis=1)`, and a
 * KLDivLoss with from_logits (which sums over axis 1) against the smoothed identity
 * `labels = eye * (1 - s) + (1 - eye) * s / (N - 1)`:
 * `loss[i] = sum_j labels[i][j] * (log(labels[i][j] + 1e-12) - logp[i][j])`.
 *
 * The labels are built with MXNet's own arithmetic, so a batch of 1 divides 0 by 0 and
 * every output is NaN, as in MXNet. `weight` is never applied (1.9.1 stores it only).
 * Each squared difference is rounded to float32 and the distance's sum overflows to Inf
 * where MXNet's does (then log_softmax gives NaN for the row, as MXNet's).
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
import { Float64Scratch } from '../scratch.js';

/** KLDivLoss's `1e-12` inside the log of the label. */
const EPS = 1e-12;

interface Smoothed {
  readonly diagonal: number;
  readonly offDiagonal: number;
}

/** The two values of `eye * (1 - s) + (1 - eye) * s / (N - 1)`, term by term. */
function smoothedIdentity(smoothing: number, batch: number): Smoothed {
  return {
    diagonal: 1 * (1 - smoothing) + (0 * smoothing) / (batch - 1),
    offDiagonal: 0 * (1 - smoothing) + (1 * smoothing) / (batch - 1),
  };
}

/** logp (N x N, row-major) of the negated squared distances; returns nothing. */
function logProbabilities(x1: Float32Array, x2: Float32Array, batch: number, dim: number, logp: Float64Array): void {
  for (let i = 0; i < batch; i++) {
    const row = i * batch;
    let max = -Infinity;
    for (let j = 0; j < batch; j++) {
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const diff = Math.fround(x1[i * dim + k]! - x2[j * dim + k]!);
        d += Math.fround(diff * diff);
        if (Math.abs(d) >= FLOAT32_OVERFLOW) d *= Infinity;
      }
      d = Math.fround(d);
      logp[row + j] = -d;
      if (-d > max) max = -d;
    }
    let sum = 0;
    for (let j = 0; j < batch; j++) sum += Math.exp(logp[row + j]! - max);
    const shift = max + Math.log(sum);
    for (let j = 0; j < batch; j++) logp[row + j] = logp[row + j]! - shift;
  }
}

function label(labels: Smoothed, i: number, j: number): number {
  return i === j ? labels.diagonal : labels.offDiagonal;
}

export class SDMLLoss extends TsCompiledLoss<'SDMLLoss'> {
  readonly #logp = new Float64Scratch();
  readonly #distanceGrad = new Float64Scratch();

  constructor(config: unknown) {
    super('SDMLLoss', config);
  }

  #forward(plan: CallPlan<'SDMLLoss'>, loss: Float64Array): { logp: Float64Array; labels: Smoothed } {
    const x1 = this.floatInput(plan, 'x1');
    const x2 = this.floatInput(plan, 'x2');
    const { batch, dim, smoothing } = plan.detail;
    const logp = this.#logp.take(batch * batch);
    logProbabilities(x1, x2, batch, dim, logp);
    const labels = smoothedIdentity(smoothing, batch);
    for (let i = 0; i < batch; i++) {
      let sum = 0;
      for (let j = 0; j < batch; j++) {
        const z = label(labels, i, j);
        sum += z * (Math.log(z + EPS) - logp[i * batch + j]!);
      }
      loss[i] = sum;
    }
    return { logp, labels };
  }

  protected runForward(plan: CallPlan<'SDMLLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    this.#forward(plan, loss);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(plan: CallPlan<'SDMLLoss'>, headGrad: FloatTensor): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const { logp, labels } = this.#forward(plan, loss);
    const x1 = this.floatInput(plan, 'x1');
    const x2 = this.floatInput(plan, 'x2');
    const { batch, dim } = plan.detail;

    // dlogp = -g_i * label_ij; through log_softmax: dz = dlogp - softmax * sum_j(dlogp);
    // z = -d, so dd = -dz.
    const distanceGrad = this.#distanceGrad.take(batch * batch);
    for (let i = 0; i < batch; i++) {
      const g = lossGrad[i]!;
      let sum = 0;
      for (let j = 0; j < batch; j++) sum += -g * label(labels, i, j);
      for (let j = 0; j < batch; j++) {
        const dz = -g * label(labels, i, j) - Math.exp(logp[i * batch + j]!) * sum;
        distanceGrad[i * batch + j] = -dz;
      }
    }
    // d = sum_k (x1_ik - x2_jk)^2: dx1_ik += 2 dd_ij (x1_ik - x2_jk), dx2_jk -= the same.
    const g1 = new Float64Array(x1.length);
    const g2 = new Float64Array(x2.length);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < batch; j++) {
        const dd2 = 2 * distanceGrad[i * batch + j]!;
        for (let k = 0; k < dim; k++) {
          const term = dd2 * (x1[i * dim + k]! - x2[j * dim + k]!);
          g1[i * dim + k]! += term;
          g2[j * dim + k]! -= term;
        }
      }
    }
    return this.result(plan, weighting.output(loss), { x1: Float32Array.from(g1), x2: Float32Array.from(g2) });
  }

  protected override releaseScratch(): void {
    this.#logp.release();
    this.#distanceGrad.release();
  }
}
