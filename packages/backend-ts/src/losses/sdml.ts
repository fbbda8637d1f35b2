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
 * Float32 where it decides the answer: each squared difference and each distance is
 * rounded to float32, so with large values a row's distances can be equal and its
 * log_softmax uniform, as MXNet's are; a distance's sum overflows to Inf where MXNet's
 * does (and log_softmax then gives NaN for the row). log_softmax is `(x - max) - log(sum)`
 * in MXNet's order: `x - (max + log(sum))` loses the log against a max near 1e32. The
 * backward follows MXNet's operators (`-`, log_softmax's `dy - exp(y) * sum(dy)`, the
 * negation, square's `2 * diff`, the broadcast sums) with each materialised tensor's
 * overflow to Inf (`2 * diff`, `dd * 2diff`, the sums), but keeps float64 values: the
 * distance gradient is a cancellation (`sum_j dd[i][j]` is 0 in exact arithmetic) that
 * float32 rounding turns into noise times |x1|.
 *
 * MXNet's float32 log_softmax here is oneDNN's (a 2-D tensor, the last axis): in a row
 * holding a NaN distance its other entries stay finite or -Inf (`[nan, 0]` gives
 * `[nan, -88.72]`), so their gradients are finite or ±Inf where the math, and MXNet in
 * float64, give NaN for the whole row. Such a row runs the spec's model of oneDNN's
 * kernel, forward and backward (rules/log-softmax-float32.ts). A row without a NaN runs
 * the float64 form above: there oneDNN's vectorised exp and log differ from the math by
 * rounding only (its log(1) is -1.43e-6), within the goldens' float64 rule.
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
import { FLOAT32_OVERFLOW } from '../mxnet-ops.js';
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

/** `value` as a float32 tensor holds it: ±Inf past float32's range (NaN stays NaN). */
function float32Range(value: number): number {
  return Math.abs(value) < FLOAT32_OVERFLOW ? value : value * Infinity;
}

/**
 * logp (N x N, row-major) of the negated float32 squared distances. Returns whether any
 * row held a NaN (its logp, oneDNN's, is then float32 in `logp`, and `nanRows[i]` is 1).
 */
function logProbabilities(
  x1: Float32Array,
  x2: Float32Array,
  batch: number,
  dim: number,
  logp: Float64Array,
  nanRows: Uint8Array,
): boolean {
  let anyNan = false;
  for (let i = 0; i < batch; i++) {
    const row = i * batch;
    let max = -Infinity;
    let hasNan = false;
    for (let j = 0; j < batch; j++) {
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const diff = Math.fround(x1[i * dim + k]! - x2[j * dim + k]!);
        d += Math.fround(diff * diff);
        if (d >= FLOAT32_OVERFLOW) d *= Infinity;
      }
      const negated = -Math.fround(d);
      logp[row + j] = negated;
      if (negated > max) max = negated;
      if (Number.isNaN(negated)) hasNan = true;
    }
    nanRows[i] = hasNan ? 1 : 0;
    if (hasNan) {
      anyNan = true;
      oneDnnLogSoftmaxRow(logp, row, 1, batch, logp);
      continue;
    }
    let sum = 0;
    for (let j = 0; j < batch; j++) sum += Math.exp(logp[row + j]! - max);
    const logSum = Math.log(sum);
    for (let j = 0; j < batch; j++) logp[row + j] = logp[row + j]! - max - logSum;
  }
  return anyNan;
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

  #forward(
    plan: CallPlan<'SDMLLoss'>,
    loss: Float64Array,
  ): { logp: Float64Array; labels: Smoothed; nanRows: Uint8Array | null } {
    const x1 = this.floatInput(plan, 'x1');
    const x2 = this.floatInput(plan, 'x2');
    const { batch, dim, smoothing } = plan.detail;
    const logp = this.#logp.take(batch * batch);
    const nanRows = new Uint8Array(batch);
    const anyNan = logProbabilities(x1, x2, batch, dim, logp, nanRows);
    const labels = smoothedIdentity(smoothing, batch);
    const logLabels = {
      diagonal: Math.log(Math.fround(labels.diagonal + EPS)),
      offDiagonal: Math.log(Math.fround(labels.offDiagonal + EPS)),
    };
    for (let i = 0; i < batch; i++) {
      let sum = 0;
      for (let j = 0; j < batch; j++) {
        sum += label(labels, i, j) * float32Range(label(logLabels, i, j) - logp[i * batch + j]!);
        if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      }
      loss[i] = sum;
    }
    return { logp, labels, nanRows: anyNan ? nanRows : null };
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
    const { logp, labels, nanRows } = this.#forward(plan, loss);
    const x1 = this.floatInput(plan, 'x1');
    const x2 = this.floatInput(plan, 'x2');
    const { batch, dim } = plan.detail;

    // dlogp = -(g_i * label_ij); log_softmax's backward: dz = dlogp - exp(logp) * sum_j(dlogp);
    // z = -d, so dd = -dz.
    const distanceGrad = this.#distanceGrad.take(batch * batch);
    const gradLogp = nanRows === null ? null : new Float32Array(batch * batch);
    for (let i = 0; i < batch; i++) {
      const g = lossGrad[i]!;
      if (gradLogp !== null && nanRows![i] === 1) {
        // oneDNN's reference backward on the float32 tensors MXNet hands it; dd = -dz.
        const row = i * batch;
        for (let j = 0; j < batch; j++) gradLogp[row + j] = -(g * label(labels, i, j));
        oneDnnLogSoftmaxBackwardRow(logp, gradLogp, row, 1, batch, distanceGrad);
        for (let j = 0; j < batch; j++) distanceGrad[row + j] = -distanceGrad[row + j]!;
        continue;
      }
      let sum = 0;
      for (let j = 0; j < batch; j++) sum += -(g * label(labels, i, j));
      for (let j = 0; j < batch; j++) {
        const dz = -(g * label(labels, i, j)) - Math.exp(logp[i * batch + j]!) * sum;
        distanceGrad[i * batch + j] = -dz;
      }
    }
    // d = sum_k diff^2 with diff = x1_ik - x2_jk (float32): square's backward is
    // dd_ij * (2 * diff), then the broadcast sums: over j into dx1_ik, over i (negated) into
    // dx2_jk. Each product and each partial sum is a float32 tensor's value in MXNet, so
    // it overflows to Inf (and the sum stays there) where MXNet's does.
    const g1 = new Float64Array(x1.length);
    const g2 = new Float64Array(x2.length);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < batch; j++) {
        const dd = distanceGrad[i * batch + j]!;
        for (let k = 0; k < dim; k++) {
          const twoDiff = float32Range(2 * Math.fround(x1[i * dim + k]! - x2[j * dim + k]!));
          const term = float32Range(dd * twoDiff);
          g1[i * dim + k] = float32Range(g1[i * dim + k]! + term);
          g2[j * dim + k] = float32Range(g2[j * dim + k]! - term);
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
