/**
 * SigmoidBinaryCrossEntropyLoss (alias SigmoidBCELoss), MXNet's four formulas
 * (kernels/sigmoid-bce.c, in MXNet's order of float32 operations, special values
 * included). pos_weight broadcasts against pred and the loss takes the broadcast shape:
 * pred, label and pos_weight are then materialised in the loss shape, one three-operand
 * pass runs, and each gradient is summed back to its input's own shape.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult, Support } from '@gluon-loss/spec';
import { ordinaryValues, sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { WasmCompiledLoss } from '../compiled-loss.js';
import {
  elementwise3Forward,
  elementwise3ForwardBackward,
  elementwiseForward,
  elementwiseForwardBackward,
  elementwiseForwardBackwardThreaded,
  elementwiseForwardThreaded,
  NO_SCALARS,
  operandBuffers,
  type ElementwiseGrads,
} from '../elementwise-loss.js';
import { NOT_ORDINARY, type KernelCall, type KernelHeap } from '../kernels.js';

/** Without pos_weight: the from_sigmoid kernel or the logits one. */
function withoutPosWeight(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): {
  kernel: string;
  scalars: typeof NO_SCALARS;
} {
  return { kernel: plan.detail.fromSigmoid ? 'bce_probability' : 'bce_logits', scalars: NO_SCALARS };
}

interface Operands {
  readonly x: Float32Array;
  readonly z: Float32Array;
  readonly pw: Float32Array;
  readonly predMap: BroadcastMap | null;
  readonly pwMap: BroadcastMap | null;
}

function asFloat32(data: Float32Array | Int32Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function operands(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): Operands {
  const size = sizeOf(plan.lossShape);
  const predShape = plan.tensors.pred!.shape;
  let x = asFloat32(plan.tensors.pred!.data);
  let z = asFloat32(plan.tensors.label!.data);
  let predMap: BroadcastMap | null = null;
  if (!sameShape(predShape, plan.lossShape)) {
    predMap = broadcastMap(predShape, plan.lossShape);
    x = gatherBroadcast(x, predMap, new Float32Array(size));
    z = gatherBroadcast(z, predMap, new Float32Array(size));
  }
  const posWeight = plan.tensors.pos_weight!;
  let pw = asFloat32(posWeight.data);
  let pwMap: BroadcastMap | null = null;
  if (!sameShape(posWeight.shape, plan.lossShape)) {
    pwMap = broadcastMap(posWeight.shape, plan.lossShape);
    pw = gatherBroadcast(pw, pwMap, new Float32Array(size));
  }
  return { x, z, pw, predMap, pwMap };
}

/** A loss-shaped gradient summed back to its input's own elements. */
function toOwnShape(full: Float32Array, map: BroadcastMap | null, ownSize: number): Float32Array {
  if (map === null) return full;
  const out = new Float32Array(ownSize);
  sumToSource(full, map, out);
  return out;
}

export class SigmoidBinaryCrossEntropyLoss extends WasmCompiledLoss<'SigmoidBinaryCrossEntropyLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('SigmoidBinaryCrossEntropyLoss', config, heap);
  }

  /** Each kernel follows MXNet's float32 operations and their order, Inf and NaN included. */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  /**
   * Refused: a scalar weight of 0 on a call with special values. MXNet's gradient is NaN
   * there in cases not yet understood (differential seed 1, case 790: rank 8, infinite
   * logits; a small case gives 0), so no rule is invented; the router routes around it.
   */
  protected override supportsCallGiven(plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>, classes?: number): Support {
    const base = super.supportsCallGiven(plan, classes);
    if (!base.supported || plan.appliedWeight !== 0) return base;
    const special =
      classes === undefined ? !ordinaryValues(plan, this.backend).supported : (classes & NOT_ORDINARY) !== 0;
    if (!special) return base;
    return {
      supported: false,
      reason: 'weight 0 with NaN, Inf or extreme values: MXNet gives NaN gradients here that are not yet modelled',
    };
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    if (plan.tensors.pos_weight === undefined) {
      const { kernel, scalars } = withoutPosWeight(plan);
      const acc = elementwiseForward(
        call,
        kernel,
        this.input(plan, 'pred'),
        this.input(plan, 'label'),
        weighting,
        scalars,
      );
      return { loss: weighting.output(acc, call.out?.loss) };
    }
    return this.#withPosWeightForward(call, plan);
  }

  protected override async forwardInThreaded(
    call: KernelCall,
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
  ): Promise<ForwardResult> {
    if (plan.tensors.pos_weight !== undefined) return this.forwardIn(call, plan);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const { kernel, scalars } = withoutPosWeight(plan);
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, 'label');
    const accumulators = await elementwiseForwardThreaded(call, kernel, pred, label, weighting, scalars);
    return { loss: weighting.output(accumulators, call.out?.loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    if (plan.tensors.pos_weight === undefined) {
      const { kernel, scalars } = withoutPosWeight(plan);
      const pred = this.input(plan, 'pred');
      const label = this.input(plan, 'label');
      const r = elementwiseForwardBackward(
        call,
        kernel,
        pred,
        label,
        weighting,
        headGrad,
        scalars,
        operandBuffers(call),
      );
      return this.#withoutPosWeightResult(plan, headGrad, r, call);
    }
    return this.#withPosWeightForwardBackward(call, plan, headGrad);
  }

  protected override async forwardBackwardInThreaded(
    call: KernelCall,
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): Promise<ForwardBackwardResult> {
    if (plan.tensors.pos_weight !== undefined) return this.forwardBackwardIn(call, plan, headGrad);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const { kernel, scalars } = withoutPosWeight(plan);
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, 'label');
    const into = operandBuffers(call);
    const r = await elementwiseForwardBackwardThreaded(call, kernel, pred, label, weighting, headGrad, scalars, into);
    return this.#withoutPosWeightResult(plan, headGrad, r, call);
  }

  #withoutPosWeightResult(
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
    headGrad: FloatTensor,
    r: ElementwiseGrads,
    call: KernelCall,
  ): ForwardBackwardResult {
    return this.result(plan, this.weighting.output(r.accumulators, call.out?.loss), {
      pred: r.gx,
      label: r.gy,
      sample_weight: this.weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
    });
  }

  #withPosWeightForward(call: KernelCall, plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>): ForwardResult {
    const weighting = this.weighting;
    const { x, z, pw } = operands(plan);
    const kernel = plan.detail.fromSigmoid ? 'bce_probability_pw' : 'bce_logits_pw';
    return { loss: weighting.output(elementwise3Forward(call, kernel, x, z, pw, weighting, NO_SCALARS)) };
  }

  #withPosWeightForwardBackward(
    call: KernelCall,
    plan: CallPlan<'SigmoidBinaryCrossEntropyLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting;
    const { x, z, pw, predMap, pwMap } = operands(plan);
    const kernel = plan.detail.fromSigmoid ? 'bce_probability_pw' : 'bce_logits_pw';
    const lossGrad = weighting.lossGrad(headGrad.data);
    const r = elementwise3ForwardBackward(call, kernel, x, z, pw, weighting, lossGrad, NO_SCALARS);
    return this.result(plan, weighting.output(r.accumulators), {
      pred: toOwnShape(r.gx, predMap, plan.tensors.pred!.data.length),
      label: toOwnShape(r.gy, predMap, plan.tensors.label!.data.length),
      pos_weight: toOwnShape(r.gz, pwMap, plan.tensors.pos_weight!.data.length),
      sample_weight: weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
    });
  }
}
