/**
 * The call sequence of the losses whose kernel walks two same-sized operands element by
 * element (L1, L2, Huber, Hinge, SquaredHinge, Logistic, PoissonNLL, KLDiv without a
 * broadcast, SigmoidBCE without pos_weight): the operands copied in, the sample_weight
 * per element when the weighting has one, the head gradient per group, then one kernel
 * pass (kernels/walk.h) that computes the loss, the reduction and every gradient.
 */
import type { CallPlan, CanonicalLossName, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from './compiled-loss.js';
import type { KernelCall, KernelHeap } from './kernels.js';
import type { LossWeighting } from './weighting.js';

/** A kernel's scalars: up to four float32 values and an integer flag. */
export type KernelScalars = readonly [a: number, b: number, c: number, d: number, flag: number];

export const NO_SCALARS: KernelScalars = [0, 0, 0, 0, 0];

/** Runs `<kernel>_forward` (`weighting` has begun); returns the filled accumulators. */
export function elementwiseForward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  scalars: KernelScalars,
): Float64Array {
  const n = x.length;
  call.reserveCheck(n * 12 + weighting.groups * 8);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const acc = call.zerosF64(weighting.groups);
  call.kernel(`${kernel}_forward`)(px, py, n, weighting.inner, weighting.groups, pw, acc, ...scalars);
  return call.takeF64(acc, weighting.groups);
}

export interface ElementwiseGrads {
  readonly accumulators: Float64Array;
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  /** What the kernel wrote for sample_weight's gradient (weightGradTarget), or null. */
  readonly weightGrad: Float32Array | null;
}

/** Runs `<kernel>_backward` (loss, reduction and gradients in one pass); `weighting` has begun. */
export function elementwiseForwardBackward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  headGrad: FloatTensor,
  scalars: KernelScalars,
): ElementwiseGrads {
  const n = x.length;
  const lossGrad = weighting.lossGrad(headGrad.data);
  call.reserveCheck(n * 24 + weighting.groups * 12);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const pg = call.putF32(lossGrad);
  const acc = call.zerosF64(weighting.groups);
  const gx = call.outF32(n);
  const gy = call.outF32(n);
  const weightGrad = weighting.weightGradTarget();
  const pgw = weightGrad === null ? 0 : call.outF32(n);
  call.kernel(`${kernel}_backward`)(px, py, n, weighting.inner, weighting.groups, pw, pg, acc, gx, gy, pgw, ...scalars);
  if (weightGrad !== null) weightGrad.set(call.f32(pgw, n));
  return {
    accumulators: call.takeF64(acc, weighting.groups),
    gx: call.takeF32(gx, n),
    gy: call.takeF32(gy, n),
    weightGrad,
  };
}

/** Which kernel a call runs, and with which scalars (from the plan's config). */
export type KernelChoice = (plan: CallPlan) => { readonly kernel: string; readonly scalars: KernelScalars };

export class ElementwiseLoss extends WasmCompiledLoss {
  /** @param labelName the name of the second input: `label`, or `target` for PoissonNLLLoss. */
  constructor(
    loss: CanonicalLossName,
    config: unknown,
    heap: KernelHeap,
    private readonly choose: KernelChoice,
    private readonly labelName = 'label',
  ) {
    super(loss, config, heap);
  }

  protected forwardIn(call: KernelCall, plan: CallPlan): ForwardResult {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan);
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    return { loss: weighting.output(elementwiseForward(call, kernel, pred, label, weighting, scalars)) };
  }

  protected forwardBackwardIn(call: KernelCall, plan: CallPlan, headGrad: FloatTensor): ForwardBackwardResult {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan);
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    const r = elementwiseForwardBackward(call, kernel, pred, label, weighting, headGrad, scalars);
    return this.result(plan, weighting.output(r.accumulators), {
      pred: r.gx,
      [this.labelName]: r.gy,
      sample_weight: weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
    });
  }
}

/** Runs `<kernel>_forward` of a three-operand kernel (`weighting` has begun). */
export function elementwise3Forward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  weighting: LossWeighting,
  scalars: KernelScalars,
): Float64Array {
  const n = x.length;
  call.reserveCheck(n * 16 + weighting.groups * 8);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pz = call.putF32(z);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const acc = call.zerosF64(weighting.groups);
  call.kernel(`${kernel}_forward`)(px, py, pz, n, weighting.inner, weighting.groups, pw, acc, ...scalars);
  return call.takeF64(acc, weighting.groups);
}

export interface Elementwise3Grads extends ElementwiseGrads {
  readonly gz: Float32Array;
}

/** Runs `<kernel>_backward` of a three-operand kernel, G being `lossGrad` per group. */
export function elementwise3ForwardBackward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  weighting: LossWeighting,
  lossGrad: ArrayLike<number>,
  scalars: KernelScalars,
): Elementwise3Grads {
  const n = x.length;
  call.reserveCheck(n * 32 + weighting.groups * 12);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pz = call.putF32(z);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const pg = call.putF32(lossGrad);
  const acc = call.zerosF64(weighting.groups);
  const gx = call.outF32(n);
  const gy = call.outF32(n);
  const gz = call.outF32(n);
  const weightGrad = weighting.weightGradTarget();
  const pgw = weightGrad === null ? 0 : call.outF32(n);
  call.kernel(`${kernel}_backward`)(
    px,
    py,
    pz,
    n,
    weighting.inner,
    weighting.groups,
    pw,
    pg,
    acc,
    gx,
    gy,
    gz,
    pgw,
    ...scalars,
  );
  if (weightGrad !== null) weightGrad.set(call.f32(pgw, n));
  return {
    accumulators: call.takeF64(acc, weighting.groups),
    gx: call.takeF32(gx, n),
    gy: call.takeF32(gy, n),
    gz: call.takeF32(gz, n),
    weightGrad,
  };
}
