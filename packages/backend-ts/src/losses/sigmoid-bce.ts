/**
 * SigmoidBinaryCrossEntropyLoss (alias SigmoidBCELoss), with MXNet's four formulas:
 *
 * - logits, no pos_weight: `relu(x) - x*z + softrelu(-|x|)`;
 * - logits, pos_weight:    `x - x*z + (1 + (pw-1)*z) * (softrelu(-|x|) + relu(-x))`;
 * - from_sigmoid:          `-(log(p + 1e-12)*z + log(1 - p + 1e-12)*(1 - z))`;
 * - from_sigmoid, pw:      `-(log(p + 1e-12)*z*pw + log(1 - p + 1e-12)*(1 - z))`.
 *
 * Gradients follow MXNet's chain rule term by term: relu'(0) = 0 and abs'(0) = 0, so at
 * x = 0 the logit gradient is `-z` without pos_weight but `1 - z` with it. label and
 * pos_weight are differentiated too. pos_weight broadcasts against pred, and the loss
 * takes the broadcast shape (pred and label then broadcast as well).
 *
 * Every operator's result is rounded to float32 where MXNet materialises it (eps is a
 * float32 scalar there), relu and its gradient are mshadow's (NaN stays NaN), softrelu's
 * gradient `-expm1(-softrelu(y))` is computed as `e / (1 + e)` with `e = exp(-|x|)`
 * (equal but for rounding, Inf and NaN included; one exp fewer), and each gradient is MXNet's chain written out
 * step by step, so that overflow, Inf - Inf and 0 * Inf give Inf and NaN where MXNet's do.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { TsCompiledLoss } from '../compiled-loss.js';
import type { ElementwiseBuffers } from '../elementwise-loss.js';
import { Float32Scratch, Float64Scratch } from '../scratch.js';
import { FLOAT32_OVERFLOW, relu, reluGrad, sign } from '../mxnet-ops.js';
import type { FusedWalk } from '../weighting.js';

/** MXNet's `eps` inside the logs of the from_sigmoid formulas, a float32 scalar there. */
const EPS = Math.fround(1e-12);

// Each loop walks its elements as weighting.ts describes: blocks of `inner` sharing one
// accumulator and one G, each element's loss and G times its sample_weight, if any, and
// `loss * G` written for sample_weight's gradient when asked. Gradients are written only
// when the gradient buffers are given (not in forward), so each formula is written once.

/** The buffers of the pos_weight formulas: operands in the loss shape, float64 gradients. */
interface PosWeightBuffers {
  readonly x: Float32Array;
  readonly z: Float32Array;
  readonly pw: Float32Array;
  readonly walk: FusedWalk;
  readonly accumulators: Float64Array;
  /** G per group; null in forward, where no gradient is written. */
  readonly lossGrad: Float64Array | null;
  readonly gx: Float64Array | null;
  readonly gz: Float64Array | null;
  readonly gpw: Float64Array | null;
  /** d(output)/d(sample_weight) per element; null in forward and without a sample_weight. */
  readonly weightGrad: Float32Array | null;
}

// ---- logits, no pos_weight --------------------------------------------------------------

function logitsLoop({
  pred: x,
  label: z,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  predGrad: gx,
  labelGrad: gz,
  weightGrad,
}: ElementwiseBuffers): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const xe = x[e]!;
      const ze = z[e]!;
      const ex = Math.exp(-Math.abs(xe));
      const softrelu = Math.fround(Math.log1p(ex));
      const loss = Math.fround(Math.fround(relu(xe) - Math.fround(xe * ze)) + softrelu);
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (gx !== null && gz !== null) {
        const gw = Math.fround(g * w);
        // relu's term, then -x*z's, then softrelu(-|x|)'s through -abs (sign(x)).
        const softreluGrad = Math.fround(gw * Math.fround(ex / (1 + ex)));
        gx[e] = Math.fround(Math.fround(gw * reluGrad(xe)) - Math.fround(gw * ze)) - softreluGrad * sign(xe);
        gz[e] = -Math.fround(gw * xe);
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

// ---- from_sigmoid, no pos_weight --------------------------------------------------------

function probabilityLoop({
  pred: p,
  label: z,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  predGrad: gp,
  labelGrad: gz,
  weightGrad,
}: ElementwiseBuffers): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const pe = p[e]!;
      const ze = z[e]!;
      const shiftedP = Math.fround(pe + EPS);
      const shiftedQ = Math.fround(Math.fround(1 - pe) + EPS);
      const logP = Math.fround(Math.log(shiftedP));
      const logQ = Math.fround(Math.log(shiftedQ));
      const oneMinusZ = Math.fround(1 - ze);
      const loss = -Math.fround(Math.fround(logP * ze) + Math.fround(logQ * oneMinusZ));
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (gp !== null && gz !== null) {
        const gw = Math.fround(g * w);
        // Through the negation, each product, each log (times 1/its argument), and 1 - p.
        const fromP = Math.fround(Math.fround(-gw * ze) * Math.fround(1 / shiftedP));
        const fromQ = Math.fround(Math.fround(-gw * oneMinusZ) * Math.fround(1 / shiftedQ));
        gp[e] = fromP - fromQ;
        gz[e] = Math.fround(-gw * logP) + Math.fround(gw * logQ);
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

// ---- logits, pos_weight (operands already in the loss shape) ------------------------------

function logitsWithPosWeightLoop({
  x,
  z,
  pw,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  gx,
  gz,
  gpw,
  weightGrad,
}: PosWeightBuffers): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const xe = x[e]!;
      const ze = z[e]!;
      const pwe = pw[e]!;
      const ex = Math.exp(-Math.abs(xe));
      const softrelu = Math.fround(Math.log1p(ex));
      const pwMinusOne = Math.fround(pwe - 1);
      const logWeight = Math.fround(1 + Math.fround(pwMinusOne * ze));
      const softplus = Math.fround(softrelu + relu(-xe));
      const loss = Math.fround(Math.fround(xe - Math.fround(xe * ze)) + Math.fround(logWeight * softplus));
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (gx !== null && gz !== null && gpw !== null) {
        const gw = Math.fround(g * w);
        // x's own term, -x*z's, then softrelu(-|x|) + relu(-x) times the log weight, with
        // abs'(0) = relu'(0) = 0; each step a float32 product as autograd forms it.
        const gSoftplus = Math.fround(gw * logWeight);
        const softreluGrad = Math.fround(gSoftplus * Math.fround(ex / (1 + ex)));
        const reluPart = Math.fround(gSoftplus * reluGrad(-xe));
        gx[e] = Math.fround(Math.fround(gw - Math.fround(gw * ze)) - softreluGrad * sign(xe)) - reluPart;
        const gLogWeight = Math.fround(gw * softplus);
        gz[e] = Math.fround(-Math.fround(gw * xe) + Math.fround(gLogWeight * pwMinusOne));
        gpw[e] = Math.fround(gLogWeight * ze);
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

// ---- from_sigmoid, pos_weight ------------------------------------------------------------

function probabilityWithPosWeightLoop({
  x: p,
  z,
  pw,
  walk: { inner, groups, weights, weight },
  accumulators,
  lossGrad,
  gx: gp,
  gz,
  gpw,
  weightGrad,
}: PosWeightBuffers): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    const g = lossGrad === null ? 0 : lossGrad[group]!;
    let sum = accumulators[group]!;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const pe = p[e]!;
      const ze = z[e]!;
      const pwe = pw[e]!;
      const shiftedP = Math.fround(pe + EPS);
      const shiftedQ = Math.fround(Math.fround(1 - pe) + EPS);
      const logP = Math.fround(Math.log(shiftedP));
      const logQ = Math.fround(Math.log(shiftedQ));
      const oneMinusZ = Math.fround(1 - ze);
      const logPz = Math.fround(logP * ze);
      const loss = -Math.fround(Math.fround(logPz * pwe) + Math.fround(logQ * oneMinusZ));
      sum +=
        weights === null
          ? weight === 1
            ? loss
            : Math.fround(loss * weight)
          : Math.fround(Math.fround(loss * w) * weight);
      if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
      if (gp !== null && gz !== null && gpw !== null) {
        const gw = Math.fround(g * w);
        // As without pos_weight, with the extra product by pos_weight on the log(p) term.
        const gLogPz = Math.fround(-gw * pwe);
        const fromP = Math.fround(Math.fround(gLogPz * ze) * Math.fround(1 / shiftedP));
        const fromQ = Math.fround(Math.fround(-gw * oneMinusZ) * Math.fround(1 / shiftedQ));
        gp[e] = fromP - fromQ;
        gz[e] = Math.fround(gLogPz * logP) + Math.fround(gw * logQ);
        gpw[e] = Math.fround(-gw * logPz);
        if (weightGrad !== null) weightGrad[e] = loss * g;
      }
    }
    accumulators[group] = sum;
    if (++group === groups) group = 0;
  }
}

/** pred, label and pos_weight read in the loss shape (materialised only when they differ). */
interface Operands {
  readonly x: Float32Array;
  readonly z: Float32Array;
  readonly pw: Float32Array;
  /** How pred (and label) broadcast into the loss shape, or null when pred has it. */
  readonly predMap: BroadcastMap | null;
  readonly pwMap: BroadcastMap | null;
}

export class SigmoidBinaryCrossEntropyLoss extends TsCompiledLoss<'SigmoidBinaryCrossEntropyLoss'> {
  readonly #x = new Float32Scratch();
  readonly #z = new Float32Scratch();
  readonly #pw = new Float32Scratch();
  readonly #gx = new Float64Scratch();
  readonly #gz = new Float64Scratch();
  readonly #gpw = new Float64Scratch();

  constructor(config: unknown) {
    super('SigmoidBinaryCrossEntropyLoss', config);
  }

  #operands(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): Operands {
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, 'label');
    const posWeight = plan.tensors.pos_weight!;
    const lossShape = plan.lossShape;
    const size = sizeOf(lossShape);
    const predShape = plan.tensors.pred!.shape;
    let x = pred;
    let z = label;
    let predMap: BroadcastMap | null = null;
    if (!sameShape(predShape, lossShape)) {
      predMap = broadcastMap(predShape, lossShape);
      x = gatherBroadcast(pred, predMap, this.#x.take(size));
      z = gatherBroadcast(label, predMap, this.#z.take(size));
    }
    let pw = posWeight.data as Float32Array;
    let pwMap: BroadcastMap | null = null;
    if (!sameShape(posWeight.shape, lossShape)) {
      pwMap = broadcastMap(posWeight.shape, lossShape);
      pw = gatherBroadcast(pw, pwMap, this.#pw.take(size));
    }
    return { x, z, pw, predMap, pwMap };
  }

  protected runForward(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): ForwardResult {
    return { loss: this.#loss(plan, false) };
  }

  /** The forward loss; again in the per-element layout where the fused sums came near float32's max. */
  #loss(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>, perElement: boolean): FloatTensor {
    const fromSigmoid = plan.detail.fromSigmoid;
    const weighting = this.weighting.begin(plan, perElement);
    const acc = weighting.accumulators();
    // The same property order as forwardBackward's, so each loop sees one object shape.
    if (plan.tensors.pos_weight === undefined) {
      const buffers: ElementwiseBuffers = {
        pred: this.floatInput(plan, 'pred'),
        label: this.floatInput(plan, 'label'),
        walk: weighting,
        accumulators: acc,
        lossGrad: null,
        predGrad: null,
        labelGrad: null,
        weightGrad: null,
      };
      if (fromSigmoid) probabilityLoop(buffers);
      else logitsLoop(buffers);
    } else {
      const { x, z, pw } = this.#operands(plan);
      const buffers: PosWeightBuffers = {
        x,
        z,
        pw,
        walk: weighting,
        accumulators: acc,
        lossGrad: null,
        gx: null,
        gz: null,
        gpw: null,
        weightGrad: null,
      };
      if (fromSigmoid) probabilityWithPosWeightLoop(buffers);
      else logitsWithPosWeightLoop(buffers);
    }
    return weighting.outputKahanExact(acc, () => this.#loss(plan, true));
  }

  protected runForwardBackward(
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const fromSigmoid = plan.detail.fromSigmoid;
    const weighting = this.weighting.begin(plan);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const acc = weighting.accumulators();
    const weightGrad = weighting.weightGradTarget();
    const sampleWeightGrad = (): Float32Array | undefined => weighting.sampleWeightGrad(acc, headGrad.data, weightGrad);

    if (plan.tensors.pos_weight === undefined) {
      const pred = this.floatInput(plan, 'pred');
      const label = this.floatInput(plan, 'label');
      const predGrad = new Float32Array(pred.length);
      const labelGrad = new Float32Array(pred.length);
      const buffers = { pred, label, walk: weighting, accumulators: acc, lossGrad, predGrad, labelGrad, weightGrad };
      if (fromSigmoid) probabilityLoop(buffers);
      else logitsLoop(buffers);
      const grads = { pred: predGrad, label: labelGrad, sample_weight: sampleWeightGrad() };
      return this.result(
        plan,
        weighting.outputKahanExact(acc, () => this.#loss(plan, true)),
        grads,
      );
    }

    const { x, z, pw, predMap, pwMap } = this.#operands(plan);
    const size = x.length;
    const gx = this.#gx.take(size);
    const gz = this.#gz.take(size);
    const gpw = this.#gpw.take(size);
    const buffers = { x, z, pw, walk: weighting, accumulators: acc, lossGrad, gx, gz, gpw, weightGrad };
    if (fromSigmoid) probabilityWithPosWeightLoop(buffers);
    else logitsWithPosWeightLoop(buffers);
    const grads = {
      pred: toOwnShape(gx, predMap, plan.tensors.pred!.data.length),
      label: toOwnShape(gz, predMap, plan.tensors.label!.data.length),
      pos_weight: toOwnShape(gpw, pwMap, plan.tensors.pos_weight.data.length),
      sample_weight: sampleWeightGrad(),
    };
    return this.result(
      plan,
      weighting.outputKahanExact(acc, () => this.#loss(plan, true)),
      grads,
    );
  }

  protected override releaseScratch(): void {
    for (const s of [this.#x, this.#z, this.#pw, this.#gx, this.#gz, this.#gpw]) s.release();
  }
}

/** A loss-shaped gradient summed back to its input's own elements (a fresh array). */
function toOwnShape(full: Float64Array, map: BroadcastMap | null, ownSize: number): Float32Array {
  if (map === null) return Float32Array.from(full);
  const out = new Float32Array(ownSize);
  sumToSource(full, map, out);
  return out;
}
