/**
 * SoftmaxCrossEntropyLoss (alias SoftmaxCELoss): `-pick(log_softmax(pred, axis), label)`
 * (sparse) or `-sum(log_softmax(pred, axis) * label, axis)` (dense), keeping the class
 * axis as size 1. With from_logits, pred already is the log-probability.
 *
 * pred is viewed as `outer x classes x inner` around the class axis (stride `inner`), so
 * any axis works; each (outer, inner) position is one loss element, and its softmax is
 * computed in one fused pass (max, then exp and sum into a row buffer, then the loss and
 * the gradient from the buffer).
 *
 * A sparse label is a float; the class it picks is the spec's `pickIndex` (MXNet's cast
 * toward zero, INT_MIN for what int32 cannot hold, then the clip).
 */
import {
  pickIndex,
  type CallPlan,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { TsCompiledLoss } from '../compiled-loss.js';
import { axisLayout } from '../log-softmax.js';
import { Float64Scratch } from '../scratch.js';

interface Layout {
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
}

// ---- sparse labels ----------------------------------------------------------------------

function sparseForward(
  x: Float32Array,
  label: Float32Array,
  fromLogits: boolean,
  { outer, classes, inner }: Layout,
  loss: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      const element = o * inner + i;
      const picked = x[base + pickIndex(label[element]!, classes) * inner]!;
      if (fromLogits) {
        loss[element] = -picked;
        continue;
      }
      let max = -Infinity;
      for (let c = 0, k = base; c < classes; c++, k += inner) if (x[k]! > max) max = x[k]!;
      let sum = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) sum += Math.exp(x[k]! - max);
      loss[element] = -(picked - max - Math.log(sum));
    }
  }
}

function sparseForwardBackward(
  x: Float32Array,
  label: Float32Array,
  fromLogits: boolean,
  { outer, classes, inner }: Layout,
  lossGrad: Float64Array,
  loss: Float64Array,
  gx: Float32Array,
  row: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      const element = o * inner + i;
      const g = lossGrad[element]!;
      const target = pickIndex(label[element]!, classes);
      const picked = x[base + target * inner]!;
      if (fromLogits) {
        loss[element] = -picked;
        // gx is fresh (zeros): only the picked class has a gradient.
        gx[base + target * inner] = -g;
        continue;
      }
      let max = -Infinity;
      for (let c = 0, k = base; c < classes; c++, k += inner) if (x[k]! > max) max = x[k]!;
      let sum = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) {
        const ex = Math.exp(x[k]! - max);
        row[c] = ex;
        sum += ex;
      }
      loss[element] = -(picked - max - Math.log(sum));
      // d/dx_c of -log_softmax(x)[target] = softmax_c - [c == target].
      const scale = g / sum;
      for (let c = 0, k = base; c < classes; c++, k += inner) gx[k] = row[c]! * scale;
      gx[base + target * inner] = (row[target]! / sum - 1) * g;
    }
  }
}

// ---- dense labels -----------------------------------------------------------------------

function denseForward(
  x: Float32Array,
  label: Float32Array,
  fromLogits: boolean,
  { outer, classes, inner }: Layout,
  loss: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      let shift = 0;
      if (!fromLogits) {
        let max = -Infinity;
        for (let c = 0, k = base; c < classes; c++, k += inner) if (x[k]! > max) max = x[k]!;
        let sum = 0;
        for (let c = 0, k = base; c < classes; c++, k += inner) sum += Math.exp(x[k]! - max);
        shift = max + Math.log(sum);
      }
      let dot = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) dot += (x[k]! - shift) * label[k]!;
      loss[o * inner + i] = -dot;
    }
  }
}

function denseForwardBackward(
  x: Float32Array,
  label: Float32Array,
  fromLogits: boolean,
  { outer, classes, inner }: Layout,
  lossGrad: Float64Array,
  loss: Float64Array,
  gx: Float32Array,
  glabel: Float32Array,
  row: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      const element = o * inner + i;
      const g = lossGrad[element]!;
      let shift = 0;
      let sum = 1;
      if (!fromLogits) {
        let max = -Infinity;
        for (let c = 0, k = base; c < classes; c++, k += inner) if (x[k]! > max) max = x[k]!;
        sum = 0;
        for (let c = 0, k = base; c < classes; c++, k += inner) {
          const ex = Math.exp(x[k]! - max);
          row[c] = ex;
          sum += ex;
        }
        shift = max + Math.log(sum);
      }
      let dot = 0;
      let labelSum = 0;
      for (let c = 0, k = base; c < classes; c++, k += inner) {
        const logp = x[k]! - shift;
        dot += logp * label[k]!;
        labelSum += label[k]!;
        glabel[k] = -logp * g;
      }
      loss[element] = -dot;
      if (fromLogits) {
        for (let c = 0, k = base; c < classes; c++, k += inner) gx[k] = -label[k]! * g;
      } else {
        // log_softmax backward of dlogp = -g * label: dx = dlogp - softmax * sum(dlogp).
        const scale = (labelSum * g) / sum;
        for (let c = 0, k = base; c < classes; c++, k += inner) gx[k] = row[c]! * scale - label[k]! * g;
      }
    }
  }
}

export class SoftmaxCrossEntropyLoss extends TsCompiledLoss<'SoftmaxCrossEntropyLoss'> {
  readonly #row = new Float64Scratch();

  constructor(config: unknown) {
    super('SoftmaxCrossEntropyLoss', config);
  }

  protected runForward(plan: CallPlan<'SoftmaxCrossEntropyLoss'>): ForwardResult {
    const x = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const { sparseLabel, fromLogits, axis } = plan.detail;
    const layout = axisLayout(plan.tensors.pred!.shape, axis);
    const weighting = this.weighting.begin(plan, true);
    const loss = weighting.accumulators();
    if (sparseLabel) sparseForward(x, label, fromLogits, layout, loss);
    else denseForward(x, label, fromLogits, layout, loss);
    return { loss: weighting.output(loss) };
  }

  protected runForwardBackward(
    plan: CallPlan<'SoftmaxCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const x = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const { sparseLabel, fromLogits, axis } = plan.detail;
    const layout = axisLayout(plan.tensors.pred!.shape, axis);
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const loss = weighting.accumulators();
    const row = this.#row.take(layout.classes);
    const gx = new Float32Array(x.length);
    let glabel: Float32Array | undefined;
    if (sparseLabel) {
      sparseForwardBackward(x, label, fromLogits, layout, lossGrad, loss, gx, row);
    } else {
      glabel = new Float32Array(x.length);
      denseForwardBackward(x, label, fromLogits, layout, lossGrad, loss, gx, glabel, row);
    }
    return this.result(plan, weighting.output(loss), {
      pred: gx,
      label: glabel,
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }

  protected override releaseScratch(): void {
    this.#row.release();
  }
}
