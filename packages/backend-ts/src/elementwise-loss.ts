/**
 * The call sequence of the losses that compare `pred` with a same-sized label element by
 * element (L1, L2, Huber, Hinge, SquaredHinge, Logistic, PoissonNLL): the label is read
 * in pred's shape (MXNet's reshape_like is free on a flat array), and the unweighted loss
 * has pred's shape. Each loss hands its one loop to this class's constructor: the loop
 * computes every element's loss, and its gradients only when it is given gradient
 * buffers (they are null in forward), so each formula is written once. It is called once
 * per call, and each loop is its loss's own, so V8 keeps it monomorphic and tight: one
 * loop shared by every loss, calling back per element, measured 9x slower
 * (`pnpm --filter @gluon-loss/backend-ts run bench:loops` measures both again); skipping
 * the gradient writes behind a null check measured the same as a separate forward loop.
 *
 * A loop walks the elements in blocks of `walk.inner`, block j adding into
 * `accumulators[j % walk.groups]` and reading G from `lossGrad[j % walk.groups]`; an
 * element's loss and G are multiplied by `walk.weights[e]` when there are weights, and
 * `weightGrad[e] = loss * G` is written when weightGrad is given (see weighting.ts).
 */
import type { CallPlan, CanonicalLossName, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { TsCompiledLoss } from './compiled-loss.js';
import type { FusedWalk } from './weighting.js';

/** What a loss's loop reads and writes in one call. */
export interface ElementwiseBuffers {
  readonly pred: Float32Array;
  /** The label, or PoissonNLLLoss's target. */
  readonly label: Float32Array;
  readonly walk: FusedWalk;
  readonly accumulators: Float64Array;
  /** G per group; null in forward, where no gradient is written. */
  readonly lossGrad: Float64Array | null;
  readonly predGrad: Float32Array | null;
  readonly labelGrad: Float32Array | null;
  /** d(output)/d(sample_weight) per element; null in forward and without a sample_weight. */
  readonly weightGrad: Float32Array | null;
}

/** A loss's loop; `plan` gives it its config (rho, margin, label format, ...). */
export type ElementwiseLoop<L extends CanonicalLossName> = (plan: CallPlan<L>, buffers: ElementwiseBuffers) => void;

export abstract class ElementwiseLoss<L extends CanonicalLossName> extends TsCompiledLoss<L> {
  /**
   * @param labelName the name of the second input: `label`, or `target` for PoissonNLLLoss.
   */
  protected constructor(
    loss: L,
    config: unknown,
    private readonly loop: ElementwiseLoop<L>,
    private readonly labelName = 'label',
  ) {
    super(loss, config);
  }

  protected runForward(plan: CallPlan<L>): ForwardResult {
    return { loss: this.#loss(plan, false) };
  }

  /**
   * The forward loss, in the fused layout, or in the per-element one (`perElement`, or when
   * the fused sums came near float32's max, where only the per-element layout's Kahan
   * sums are MXNet's: LossWeighting.fusedSumsNearMax).
   */
  #loss(plan: CallPlan<L>, perElement: boolean): FloatTensor {
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, this.labelName);
    const walk = this.weighting.begin(plan, perElement);
    const accumulators = walk.accumulators();
    // The same property order as forwardBackward's, so the loop sees one object shape.
    this.loop(plan, {
      pred,
      label,
      walk,
      accumulators,
      lossGrad: null,
      predGrad: null,
      labelGrad: null,
      weightGrad: null,
    });
    return walk.outputKahanExact(accumulators, () => this.#loss(plan, true));
  }

  protected runForwardBackward(plan: CallPlan<L>, headGrad: FloatTensor): ForwardBackwardResult {
    const pred = this.floatInput(plan, 'pred');
    const label = this.floatInput(plan, this.labelName);
    const walk = this.weighting.begin(plan);
    const lossGrad = walk.lossGrad(headGrad.data);
    const accumulators = walk.accumulators();
    const predGrad = new Float32Array(pred.length);
    const labelGrad = new Float32Array(pred.length);
    const weightGrad = walk.weightGradTarget();
    this.loop(plan, { pred, label, walk, accumulators, lossGrad, predGrad, labelGrad, weightGrad });
    const grads = {
      pred: predGrad,
      [this.labelName]: labelGrad,
      sample_weight: walk.sampleWeightGrad(accumulators, headGrad.data, weightGrad),
    };
    // The gradients are the same in either layout; only the sums can part.
    return this.result(
      plan,
      walk.outputKahanExact(accumulators, () => this.#loss(plan, true)),
      grads,
    );
  }
}
