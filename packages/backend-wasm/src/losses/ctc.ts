/**
 * CTCLoss, as MXNet 1.9.1's CTCLoss operator computes it on the CPU (its bundled
 * warp-ctc): blank is the last channel; the loss of sample b is `-log p(label | pred)`
 * over its first `pred_lengths[b]` steps; the gradient is with respect to the
 * pre-softmax activations, `softmax - posterior`, times the incoming G. kernels/ctc.c
 * runs every sample's alpha-beta recursion (the rules it reproduces are listed there and
 * in backend-ts's ctc.ts, which the goldens pin):
 * - float32 log-softmax and recursions, log_plus in double rounded once to float32;
 * - the window of states still reachable from the start and still reaching the end;
 * - alpha tests the label of the state it skips into and beta the state it leaves;
 * - a channel whose summed alpha*beta is exactly 0.0 or -inf gets gradient softmax alone;
 * - a label that cannot fit (`L + repeats > T`) gets loss 0 and gradient 0 (MXNet
 *   leaves it unwritten); a zero-length sequence gets +inf;
 * - steps at or past `pred_lengths[b]` get gradient 0.
 * Here: the label rows are read by the spec's rule (ctcSamples: rounded values, cut at
 * label_lengths or at the first -1), the workspace is
 * laid out for the largest sample, and the weighting rules run per sample.
 */
import {
  ctcSamples,
  type CallPlan,
  type CtcSample,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { WasmCompiledLoss } from '../compiled-loss.js';
import type { KernelCall, KernelHeap } from '../kernels.js';

export class CTCLoss extends WasmCompiledLoss<'CTCLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('CTCLoss', config, heap);
  }

  /** The recursion follows warp-ctc's float32 log-space arithmetic, special values included. */
  protected override get takesSpecialValues(): boolean {
    return true;
  }

  #run(
    call: KernelCall,
    plan: CallPlan<'CTCLoss'>,
    lossGrad: Float64Array | null,
  ): { loss: Float64Array; grad: number; samples: CtcSample[] } {
    const { n, t, c, labelLength, timeMajor } = plan.detail;
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, 'label');
    const predLengths = plan.tensors.pred_lengths?.data;
    const labelLengths = plan.tensors.label_lengths?.data;
    const width = Math.max(labelLength, 1);
    const labels = new Int32Array(n * width);
    const counts = new Int32Array(n);
    const steps = new Int32Array(n);
    // Label rows and lengths as MXNet reads them (rounded, -1 padding): the spec's rule.
    const samples = ctcSamples(plan.detail, label, predLengths, labelLengths);
    samples.forEach((sample, b) => {
      labels.set(sample.labels, b * width);
      counts[b] = sample.labels.length;
      steps[b] = sample.steps;
    });
    const states = 2 * labelLength + 1;
    call.reserveCheck(pred.length * 8 + t * c * 4 + states * (t + 4) * 4 + n * (width + 6) * 4);
    const pp = call.putF32(pred);
    const pl = call.putI32(labels);
    const pc = call.putI32(counts);
    const ps = call.putI32(steps);
    const logp = call.outF32(t * c);
    const extended = call.outF32(states);
    const startStep = call.outF32(states);
    const endStep = call.outF32(states);
    const alpha = call.outF32(states * t);
    const beta = call.outF32(states);
    const output = call.outF32(c);
    const pg = lossGrad === null ? 0 : call.putF32(lossGrad);
    const loss = call.outF32(n * 2);
    const grad = lossGrad === null ? 0 : call.zerosF32(pred.length);
    call.kernel('ctc')(
      pp,
      n,
      t,
      c,
      timeMajor ? 1 : 0,
      pl,
      pc,
      ps,
      width,
      logp,
      extended,
      startStep,
      endStep,
      alpha,
      beta,
      output,
      pg,
      loss,
      grad,
    );
    return { loss: call.takeF64(loss, n), grad, samples };
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<'CTCLoss'>): ForwardResult {
    const weighting = this.weighting.begin(plan, true);
    return { loss: weighting.output(this.#run(call, plan, null).loss) };
  }

  protected forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<'CTCLoss'>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult {
    const weighting = this.weighting.begin(plan, true);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const { loss, grad, samples } = this.#run(call, plan, lossGrad);
    const predGrad = call.takeF32(grad, plan.tensors.pred!.data.length);
    // MXNet zeroes the gradient from the length cast toward zero (6.5 runs 7 steps, keeps 6).
    const { n, t, c, timeMajor } = plan.detail;
    samples.forEach(({ steps, gradientSteps }, b) => {
      for (let step = gradientSteps; step < steps; step++) {
        const at = timeMajor ? (step * n + b) * c : (b * t + step) * c;
        predGrad.fill(0, at, at + c);
      }
    });
    return this.result(plan, weighting.output(loss), {
      pred: predGrad,
      sample_weight: weighting.sampleWeightGrad(loss, headGrad.data),
    });
  }
}
