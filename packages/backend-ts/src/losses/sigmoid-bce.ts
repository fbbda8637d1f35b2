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
 * relu(v) is written `0.5 * (v + |v|)` (so relu(-x) is `0.5 * (|x| - x)`): exact and
 * branch-free, where V8's Math.max is slow in a hot loop.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { TsCompiledLoss } from '../compiled-loss.js';
import { Float32Scratch, Float64Scratch } from '../scratch.js';
import type { FusedWalk } from '../weighting.js';

/** MXNet's `eps` inside the logs of the from_sigmoid formulas. */
const EPS = 1e-12;

// Each loop walks its elements as weighting.ts describes: blocks of `inner` sharing one
// accumulator and one G, each element's loss and G times its sample_weight, if any, and
// `loss * G` written for sample_weight's gradient when asked.

// ---- logits, no pos_weight --------------------------------------------------------------

function logitsForward(
  x: Float32Array,
  z: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const xe = x[e]!;
      sum +=
        (0.5 * (xe + Math.abs(xe)) - xe * z[e]! + Math.log1p(Math.exp(-Math.abs(xe)))) *
        (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function logitsForwardBackward(
  x: Float32Array,
  z: Float32Array,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  gx: Float32Array,
  gz: Float32Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const xe = x[e]!;
      const ze = z[e]!;
      const ex = Math.exp(-Math.abs(xe));
      const loss = 0.5 * (xe + Math.abs(xe)) - xe * ze + Math.log1p(ex);
      sum += loss * w;
      const gw = g * w;
      gx[e] = (Number(xe > 0) - ze - (ex / (1 + ex)) * (Number(xe > 0) - Number(xe < 0))) * gw;
      gz[e] = -xe * gw;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

// ---- from_sigmoid, no pos_weight --------------------------------------------------------

function probabilityForward(
  p: Float32Array,
  z: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const pe = p[e]!;
      const ze = z[e]!;
      sum -= (Math.log(pe + EPS) * ze + Math.log(1 - pe + EPS) * (1 - ze)) * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function probabilityForwardBackward(
  p: Float32Array,
  z: Float32Array,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  gp: Float32Array,
  gz: Float32Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const pe = p[e]!;
      const ze = z[e]!;
      const logP = Math.log(pe + EPS);
      const logQ = Math.log(1 - pe + EPS);
      const loss = -(logP * ze + logQ * (1 - ze));
      sum += loss * w;
      const gw = g * w;
      gp[e] = -(ze / (pe + EPS) - (1 - ze) / (1 - pe + EPS)) * gw;
      gz[e] = -(logP - logQ) * gw;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

// ---- logits, pos_weight (operands already in the loss shape) ------------------------------

function logitsWithPosWeightForward(
  x: Float32Array,
  z: Float32Array,
  pw: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const xe = x[e]!;
      const ze = z[e]!;
      const logWeight = 1 + (pw[e]! - 1) * ze;
      const loss = xe - xe * ze + logWeight * (Math.log1p(Math.exp(-Math.abs(xe))) + 0.5 * (Math.abs(xe) - xe));
      sum += loss * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function logitsWithPosWeightForwardBackward(
  x: Float32Array,
  z: Float32Array,
  pw: Float32Array,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  gx: Float64Array,
  gz: Float64Array,
  gpw: Float64Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < x.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const xe = x[e]!;
      const ze = z[e]!;
      const pwe = pw[e]!;
      const ex = Math.exp(-Math.abs(xe));
      const logWeight = 1 + (pwe - 1) * ze;
      const softplus = Math.log1p(ex) + 0.5 * (Math.abs(xe) - xe);
      const loss = xe - xe * ze + logWeight * softplus;
      sum += loss * w;
      const gw = g * w;
      // d(softrelu(-|x|) + relu(-x))/dx, with abs'(0) = relu'(0) = 0.
      const dSoftplus = -(ex / (1 + ex)) * (Number(xe > 0) - Number(xe < 0)) - Number(xe < 0);
      gx[e] = (1 - ze + logWeight * dSoftplus) * gw;
      gz[e] = (-xe + (pwe - 1) * softplus) * gw;
      gpw[e] = ze * softplus * gw;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

// ---- from_sigmoid, pos_weight ------------------------------------------------------------

function probabilityWithPosWeightForward(
  p: Float32Array,
  z: Float32Array,
  pw: Float32Array,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const pe = p[e]!;
      const ze = z[e]!;
      sum -=
        (Math.log(pe + EPS) * ze * pw[e]! + Math.log(1 - pe + EPS) * (1 - ze)) * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function probabilityWithPosWeightForwardBackward(
  p: Float32Array,
  z: Float32Array,
  pw: Float32Array,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  gp: Float64Array,
  gz: Float64Array,
  gpw: Float64Array,
  weightGrad: Float32Array | null,
): void {
  let group = 0;
  for (let start = 0; start < p.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const pe = p[e]!;
      const ze = z[e]!;
      const pwe = pw[e]!;
      const logP = Math.log(pe + EPS);
      const logQ = Math.log(1 - pe + EPS);
      const loss = -(logP * ze * pwe + logQ * (1 - ze));
      sum += loss * w;
      const gw = g * w;
      gp[e] = -((ze * pwe) / (pe + EPS) - (1 - ze) / (1 - pe + EPS)) * gw;
      gz[e] = -(logP * pwe - logQ) * gw;
      gpw[e] = -logP * ze * gw;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
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
    const fromSigmoid = plan.detail.fromSigmoid;
    const weighting = this.weighting.begin(plan);
    const acc = weighting.accumulators();
    if (plan.tensors.pos_weight === undefined) {
      const pred = this.floatInput(plan, 'pred');
      const label = this.floatInput(plan, 'label');
      if (fromSigmoid) probabilityForward(pred, label, weighting, acc);
      else logitsForward(pred, label, weighting, acc);
    } else {
      const { x, z, pw } = this.#operands(plan);
      if (fromSigmoid) probabilityWithPosWeightForward(x, z, pw, weighting, acc);
      else logitsWithPosWeightForward(x, z, pw, weighting, acc);
    }
    return { loss: weighting.output(acc) };
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
      if (fromSigmoid)
        probabilityForwardBackward(pred, label, weighting, lossGrad, acc, predGrad, labelGrad, weightGrad);
      else logitsForwardBackward(pred, label, weighting, lossGrad, acc, predGrad, labelGrad, weightGrad);
      return this.result(plan, weighting.output(acc), {
        pred: predGrad,
        label: labelGrad,
        sample_weight: sampleWeightGrad(),
      });
    }

    const { x, z, pw, predMap, pwMap } = this.#operands(plan);
    const size = x.length;
    const gx = this.#gx.take(size);
    const gz = this.#gz.take(size);
    const gpw = this.#gpw.take(size);
    if (fromSigmoid)
      probabilityWithPosWeightForwardBackward(x, z, pw, weighting, lossGrad, acc, gx, gz, gpw, weightGrad);
    else logitsWithPosWeightForwardBackward(x, z, pw, weighting, lossGrad, acc, gx, gz, gpw, weightGrad);
    return this.result(plan, weighting.output(acc), {
      pred: toOwnShape(gx, predMap, plan.tensors.pred!.data.length),
      label: toOwnShape(gz, predMap, plan.tensors.label!.data.length),
      pos_weight: toOwnShape(gpw, pwMap, plan.tensors.pos_weight.data.length),
      sample_weight: sampleWeightGrad(),
    });
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
