/**
 * SigmoidBinaryCrossEntropyLoss (alias SigmoidBCELoss), MXNet's four formulas
 * (kernels/sigmoid-bce.c; logits without pos_weight is kernels/logistic.c, binary).
 * pos_weight broadcasts against pred and the loss takes the broadcast shape: pred, label
 * and pos_weight are then materialised in the loss shape, one three-operand pass runs,
 * and each gradient is summed back to its input's own shape.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, gatherBroadcast, sumToSource, type BroadcastMap } from '../broadcast.js';
import { WasmCompiledLoss } from '../compiled-loss.js';
import {
  elementwise3Forward,
  elementwise3ForwardBackward,
  elementwiseForward,
  elementwiseForwardBackward,
  NO_SCALARS,
} from '../elementwise-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';

/** The logits formula without pos_weight is LogisticLoss's binary case. */
const LOGITS: readonly [number, number, number, number, number] = [0, 0, 0, 0, 0];

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

function operands(plan: CallPlan): Operands {
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

export class SigmoidBinaryCrossEntropyLoss extends WasmCompiledLoss {
  constructor(config: unknown, heap: KernelHeap) {
    super('SigmoidBinaryCrossEntropyLoss', config, heap);
  }

  protected forwardIn(call: KernelCall, plan: CallPlan): ForwardResult {
    const fromSigmoid = plan.detail.fromSigmoid as boolean;
    const weighting = this.weighting.begin(plan);
    if (plan.tensors.pos_weight === undefined) {
      const kernel = fromSigmoid ? 'bce_probability' : 'logistic';
      const acc = elementwiseForward(
        call,
        kernel,
        this.input(plan, 'pred'),
        this.input(plan, 'label'),
        weighting,
        fromSigmoid ? NO_SCALARS : LOGITS,
      );
      return { loss: weighting.output(acc) };
    }
    const { x, z, pw } = operands(plan);
    const kernel = fromSigmoid ? 'bce_probability_pw' : 'bce_logits_pw';
    return { loss: weighting.output(elementwise3Forward(call, kernel, x, z, pw, weighting, NO_SCALARS)) };
  }

  protected forwardBackwardIn(call: KernelCall, plan: CallPlan, headGrad: FloatTensor): ForwardBackwardResult {
    const fromSigmoid = plan.detail.fromSigmoid as boolean;
    const weighting = this.weighting.begin(plan);
    if (plan.tensors.pos_weight === undefined) {
      const kernel = fromSigmoid ? 'bce_probability' : 'logistic';
      const r = elementwiseForwardBackward(
        call,
        kernel,
        this.input(plan, 'pred'),
        this.input(plan, 'label'),
        weighting,
        headGrad,
        fromSigmoid ? NO_SCALARS : LOGITS,
      );
      return this.result(plan, weighting.output(r.accumulators), {
        pred: r.gx,
        label: r.gy,
        sample_weight: weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
      });
    }
    const { x, z, pw, predMap, pwMap } = operands(plan);
    const kernel = fromSigmoid ? 'bce_probability_pw' : 'bce_logits_pw';
    const lossGrad = weighting.lossGrad(headGrad.data);
    const r = elementwise3ForwardBackward(call, kernel, x, z, pw, weighting, lossGrad, NO_SCALARS);
    return this.result(plan, weighting.output(r.accumulators), {
      pred: toOwnShape(r.gx, predMap, plan.tensors.pred!.data.length),
      label: toOwnShape(r.gy, predMap, plan.tensors.label!.data.length),
      pos_weight: toOwnShape(r.gz, pwMap, plan.tensors.pos_weight.data.length),
      sample_weight: weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
    });
  }
}
