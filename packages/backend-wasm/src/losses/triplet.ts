/**
 * TripletLoss: `relu(sum(square(positive - pred) - square(negative - pred)) + margin)`,
 * the sum over every axis of pred but batch_axis (kernels/triplet.c walks the samples'
 * elements; the relu and margin are a few scalars per sample, here, in float32 as MXNet
 * rounds them). mshadow's relu keeps NaN (Inf - Inf included) and maps -Inf to 0;
 * backward, each sample's G is multiplied by relu's gradient, NaN at NaN, so an inactive
 * hinge under an Inf G gives NaN as in MXNet.
 *
 * The sums, chosen once per call: ordinary values run float64 SIMD lanes (no partial sum
 * can overflow); a call holding special values sums element by element with float32's
 * overflow (the spec's addFloat32), as MXNet's sum overflows for good.
 */
import type { CallPlan, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';
import { axisLayout } from '../layout.js';

/** mshadow's relu: NaN stays NaN (`NaN > 0` is false, but so is `NaN <= 0`), -Inf gives 0. */
const relu = (t: number): number => (t > 0 || t !== t ? t : 0);

/** relu's gradient factor: 1 where t > 0, 0 elsewhere, NaN at NaN (mshadow's relu_grad). */
const reluGrad = (t: number): number => (t !== t ? t : Number(t > 0));

export class TripletLoss extends WasmCompiledLoss<'TripletLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('TripletLoss', config, heap);
  }

  /** The element terms, the sums' overflow and the relu follow MXNet on special values. */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  /** The unweighted loss per sample, and where the operands lie in wasm memory. */
  #forward(
    call: KernelCall,
    plan: CallPlan<'TripletLoss'>,
  ): { loss: Float64Array; px: number; pp: number; pn: number; n: number; inner: number; batch: number } {
    const pred = this.input(plan, 'pred');
    const { classes: batch, inner } = axisLayout(plan.tensors.pred!.shape, plan.detail.batchAxis);
    call.reserveCheck(pred.length * 24 + batch * 16);
    const px = call.putF32(pred);
    const pp = call.putF32(this.input(plan, 'positive'));
    const pn = call.putF32(this.input(plan, 'negative'));
    const n = pred.length;
    const acc = call.zerosF64(batch);
    const sums = this.reducesInFloat32Order(call, plan) ? 'triplet_forward_f32' : 'triplet_forward';
    call.kernel(sums)(px, pp, pn, n, inner, batch, acc);
    const loss = call.takeF64(acc, batch);
    const margin32 = Math.fround(plan.detail.margin);
    for (let b = 0; b < batch; b++) loss[b] = relu(Math.fround(Math.fround(loss[b]!) + margin32));
    return { loss, px, pp, pn, n, inner, batch };
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'TripletLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    return { loss: weighting.output(this.#forward(call, plan).loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'TripletLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { loss, px, pp, pn, n, inner, batch } = this.#forward(call, plan);
    // relu's gradient (relu' of relu(t) is relu' of t), as a product: Inf * 0 and NaN give NaN.
    const active = new Float64Array(batch);
    for (let b = 0; b < batch; b++) active[b] = lossGrad[b]! * reluGrad(loss[b]!);
    const pg = call.putF32(active);
    const gx = call.outF32(n);
    const gp = call.outF32(n);
    const gn = call.outF32(n);
    call.kernel('triplet_backward')(px, pp, pn, n, inner, batch, pg, gx, gp, gn);
    return this.result(plan, weighting.output(loss), {
      pred: call.takeF32(gx, n),
      positive: call.takeF32(gp, n),
      negative: call.takeF32(gn, n),
    });
  }
}
