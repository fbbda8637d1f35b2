/**
 * The call sequence of the losses that compare `pred` with a same-sized label element by
 * element (L1, L2, Huber, Hinge, SquaredHinge, Logistic, PoissonNLL): the label is read
 * in pred's shape (MXNet's reshape_like is free on a flat array), and the unweighted loss
 * has pred's shape. Each loss hands its two loops to this class's constructor; they are
 * called once per call, and each loop is its loss's own, so V8 keeps it monomorphic and
 * tight (one loop shared by every loss, calling back per element, measured 9x slower).
 *
 * A loop walks the elements in blocks of `walk.inner`, block j adding into
 * `accumulators[j % walk.groups]` and reading G from `lossGrad[j % walk.groups]`; an
 * element's loss and G are multiplied by `walk.weights[e]` when there are weights, and
 * `weightGrad[e] = loss * G` is written when weightGrad is given (see weighting.ts).
 */
import type { CallPlan, CanonicalLossName, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { TsCompiledLoss } from './compiled-loss.js';
import type { FusedWalk } from './weighting.js';

/** What forwardBackward's loop writes into, after the inputs and the walk. */
export type BackwardBuffers = [
  lossGrad: Float64Array,
  accumulators: Float64Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
  weightGrad: Float32Array | null,
];

/** A loss's two loops; `plan` gives them their config (rho, margin, label format, ...). */
export interface ElementwiseLoops<L extends CanonicalLossName> {
  forward(
    plan: CallPlan<L>,
    pred: Float32Array,
    label: Float32Array,
    walk: FusedWalk,
    accumulators: Float64Array,
  ): void;
  forwardBackward(
    plan: CallPlan<L>,
    pred: Float32Array,
    label: Float32Array,
    walk: FusedWalk,
    ...buffers: BackwardBuffers
  ): void;
}

export abstract class ElementwiseLoss<L extends CanonicalLossName> extends TsCompiledLoss<L> {
  /**
   * @param labelName the name of the second input: `label`, or `target` for PoissonNLLLoss.
   */
  protected constructor(
    loss: L,
    config: unknown,
    private readonly loops: ElementwiseLoops<L>,
    private readonly labelName = 'label',
  ) {
    super(loss, config);
  }

  protected runForward(plan: CallPlan<L>): ForwardResult {
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, this.labelName);
    const weighting = this.weighting.begin(plan);
    const accumulators = weighting.accumulators();
    this.loops.forward(plan, pred, label, weighting, accumulators);
    return { loss: weighting.output(accumulators) };
  }

  protected runForwardBackward(plan: CallPlan<L>, headGrad: FloatTensor): ForwardBackwardResult {
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, this.labelName);
    const weighting = this.weighting.begin(plan);
    const lossGrad = weighting.lossGrad(headGrad.data);
    const accumulators = weighting.accumulators();
    const predGrad = new Float32Array(pred.length);
    const labelGrad = new Float32Array(pred.length);
    const weightGrad = weighting.weightGradTarget();
    this.loops.forwardBackward(plan, pred, label, weighting, lossGrad, accumulators, predGrad, labelGrad, weightGrad);
    return this.result(plan, weighting.output(accumulators), {
      pred: predGrad,
      [this.labelName]: labelGrad,
      sample_weight: weighting.sampleWeightGrad(accumulators, headGrad.data, weightGrad),
    });
  }
}
