/**
 * SDMLLoss (batchwise smoothed deep metric learning), as MXNet 1.9.1 computes it:
 * `d[i][j] = sum_k (x1[i][k] - x2[j][k])^2`, `logp = log_softmax(-d, axis=1)`, and a
 * KLDivLoss with from_logits (which sums over axis 1) against the smoothed identity
 * `labels = eye * (1 - s) + (1 - eye) * s / (N - 1)`:
 * `loss[i] = sum_j labels[i][j] * (log(labels[i][j] + 1e-12) - logp[i][j])`.
 *
 * The labels are built with MXNet's own float32 arithmetic, so a batch of 1 divides 0 by
 * 0 and every output is NaN, as in MXNet. `weight` is never applied (1.9.1 stores it only).
 *
 * Float32 throughout, operator by operator in MXNet's order, because with large values
 * MXNet's answer is float32 rounding itself: a distance of 2e17 has an ulp of 3.4e10, so
 * which of a row's distances round equal decides the loss, and the distance gradient is a
 * cancellation (`sum_j dd[i][j]` is 0 in exact arithmetic) that rounding turns into noise
 * times |x1| (-136.7 where the float64 run gives -1.66: differential seed 202612010, SDML
 * case 64). Neither a more accurate result nor other float32 noise is within tolerance of
 * that, so this reproduces it:
 * - each distance is mshadow's Kahan sum of the float32 squares (`sum(axis=2)`);
 * - log_softmax is oneDNN's, forward and backward (the spec's model, rules/log-softmax-float32.ts;
 *   its log(1) is 1.43e-6 and its exp a vectorised approximation): in a row holding a NaN
 *   distance the other entries stay finite or -Inf (`[nan, 0]` gives `[nan, -88.72]`);
 * - the KLDivLoss terms and their gradients are float32 products, the row's sum a Kahan sum;
 * - square's backward is `dd * (2 * diff)`, and the broadcasts' backwards are Kahan sums in
 *   index order: over j into dx1[i][k], over i (negated) into dx2[j][k].
 */
import {
  oneDnnLogSoftmaxBackwardRow,
  oneDnnLogSoftmaxRow,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { KahanSum } from '../mxnet-ops.js';
import { Float64Scratch } from '../scratch.js';

/** KLDivLoss's `1e-12` inside the log of the label, as the float32 MXNet adds. */
const EPS = Math.fround(1e-12);

interface Smoothed {
  readonly diagonal: number;
  readonly offDiagonal: number;
}

/**
 * The two float32 values of `eye * (1 - s) + (1 - eye) * s / (N - 1)`, operator by
 * operator: `(1 - eye) * s` is rounded before the division, so N == 1 gives `0 / 0`.
 */
function smoothedIdentity(smoothing: number, batch: number): Smoothed {
  const f = Math.fround;
  const s = f(smoothing);
  const entry = (gold: number): number => f(f(gold * f(1 - smoothing)) + f(f((1 - gold) * s) / (batch - 1)));
  return { diagonal: entry(1), offDiagonal: entry(0) };
}

/**
 * logp (N x N, row-major, float32 values) of the negated distances: oneDNN's log_softmax
 * of each row of `-d`, d the Kahan sum of the float32 squared differences.
 */
function logProbabilities(x1: Float32Array, x2: Float32Array, batch: number, dim: number, logp: Float64Array): void {
  const distance = new KahanSum();
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) {
      distance.reset();
      for (let k = 0; k < dim; k++) {
        const diff = Math.fround(x1[i * dim + k]! - x2[j * dim + k]!);
        distance.add(Math.fround(diff * diff));
      }
      logp[i * batch + j] = -distance.sum;
    }
    oneDnnLogSoftmaxRow(logp, i * batch, 1, batch, logp);
  }
}

function label(labels: Smoothed, i: number, j: number): number {
  return i === j ? labels.diagonal : labels.offDiagonal;
}

export class SDMLLoss extends TsCompiledLoss<'SDMLLoss'> {
  readonly #logp = new Float64Scratch();
  readonly #gradLogp = new Float64Scratch();
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
    const logLabels = {
      diagonal: Math.fround(Math.log(Math.fround(labels.diagonal + EPS))),
      offDiagonal: Math.fround(Math.log(Math.fround(labels.offDiagonal + EPS))),
    };
    const row = new KahanSum();
    for (let i = 0; i < batch; i++) {
      row.reset();
      for (let j = 0; j < batch; j++) {
        row.add(Math.fround(label(labels, i, j) * Math.fround(label(logLabels, i, j) - logp[i * batch + j]!)));
      }
      loss[i] = row.sum;
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

    // dlogp = -(g_i * label_ij), through oneDNN's log_softmax backward to dz; z = -d, so dd = -dz.
    const gradLogp = this.#gradLogp.take(batch * batch);
    const distanceGrad = this.#distanceGrad.take(batch * batch);
    for (let i = 0; i < batch; i++) {
      const g = lossGrad[i]!;
      for (let j = 0; j < batch; j++) gradLogp[i * batch + j] = -Math.fround(g * label(labels, i, j));
      oneDnnLogSoftmaxBackwardRow(logp, gradLogp, i * batch, 1, batch, distanceGrad);
    }
    // d = sum_k diff^2 with diff = x1_ik - x2_jk: square's backward is dd_ij * (2 * diff),
    // x1's broadcast sums it over j, x2's (negated) over i.
    const term = (i: number, j: number, k: number): number =>
      Math.fround(-distanceGrad[i * batch + j]! * Math.fround(2 * Math.fround(x1[i * dim + k]! - x2[j * dim + k]!)));
    const g1 = new Float32Array(x1.length);
    const g2 = new Float32Array(x2.length);
    const sum = new KahanSum();
    for (let i = 0; i < batch; i++) {
      for (let k = 0; k < dim; k++) {
        sum.reset();
        for (let j = 0; j < batch; j++) sum.add(term(i, j, k));
        g1[i * dim + k] = sum.sum;
      }
    }
    for (let j = 0; j < batch; j++) {
      for (let k = 0; k < dim; k++) {
        sum.reset();
        for (let i = 0; i < batch; i++) sum.add(-term(i, j, k));
        g2[j * dim + k] = sum.sum;
      }
    }
    return this.result(plan, weighting.output(loss), { x1: g1, x2: g2 });
  }
  protected override releaseScratch(): void {
    this.#logp.release();
    this.#gradLogp.release();
    this.#distanceGrad.release();
  }
}
