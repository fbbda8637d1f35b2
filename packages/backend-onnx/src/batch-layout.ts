/**
 * Which axis of each given tensor is the batch, for the export's symbolic batch: the
 * axis that must grow with the batch size for the call to stay the same loss on more
 * (or fewer) samples. The loss's batch position comes from MXNet's rules (the reduction's
 * batch axis, or the loss's own: CTC's layout, Triplet's batch_axis, the rows of
 * CosineEmbedding); each input's position follows from how MXNet reads it (broadcast
 * against the loss, or reshaped to a view). A tensor that broadcasts over the batch
 * (size 1 there, or a sample_weight of another axis) does not carry it.
 */
import { normalizeAxisOrThrow, sizeOf, type CallPlan, type CanonicalLossName, type Shape } from '@gluon-loss/spec';

/** The batch size and, for every given tensor that carries the batch, its own axis. */
export interface BatchLayout {
  readonly size: number;
  readonly axes: Readonly<Record<string, number>>;
}

/**
 * Losses whose exported graph keeps a static batch, and why (the export's doc comment and
 * the package README say the same).
 */
export const STATIC_BATCH: Partial<Readonly<Record<CanonicalLossName, string>>> = {
  SDMLLoss:
    'SDMLLoss compares every sample with every other one: its graph holds a batch x batch identity as its ' +
    'smoothed targets and divides the smoothing by batch - 1, constants built for one batch size',
};

/** Inputs that weight the loss by broadcasting against it. */
const WEIGHTS: ReadonlySet<string> = new Set(['sample_weight', 'pos_weight']);

/** Where the batch lies in a tensor as the loss reads it (its view): the product of the dims before it. */
interface ViewPosition {
  readonly prefix: number;
}

/** Narrows a plan to its loss, so its detail is read with that loss's own types. */
function isPlanOf<L extends CanonicalLossName>(plan: CallPlan, loss: L): plan is CallPlan<L> {
  return plan.loss === loss;
}

/** The layout of `plan`'s batch, or the reason it has none an export can make symbolic. */
export function batchLayout(plan: CallPlan): BatchLayout | string {
  const fixed = STATIC_BATCH[plan.loss];
  if (fixed !== undefined) return fixed;
  const positions: Record<string, ViewPosition> = {};
  const view = (name: string): Shape => plan.views[name]!;
  const at = (name: string, axis: number): void => {
    positions[name] = { prefix: sizeOf(view(name).slice(0, axis)) };
  };
  let size: number;
  let lossAxis: number;
  if (isPlanOf(plan, 'CTCLoss')) {
    const d = plan.detail;
    size = d.n;
    lossAxis = 0;
    at('pred', d.timeMajor ? 1 : 0);
    at('label', d.labelTimeMajor ? 1 : 0);
    for (const name of ['pred_lengths', 'label_lengths']) if (plan.tensors[name]) at(name, 0);
  } else if (isPlanOf(plan, 'TripletLoss')) {
    const d = plan.detail;
    size = view('pred')[d.batchAxis]!;
    lossAxis = 0;
    for (const name of ['pred', 'positive', 'negative']) at(name, d.batchAxis);
  } else if (plan.loss === 'CosineEmbeddingLoss') {
    // The rows are input2's vectors; the batch is its first axis, and leads the rows.
    size = view('input2')[0]!;
    lossAxis = 0;
    for (const name of ['input1', 'input2', 'label']) positions[name] = { prefix: 1 };
  } else {
    if (plan.reduction === 'mean-all') {
      // PoissonNLLLoss: a mean over every element; batch_axis names the batch by convention.
      const batchAxis = 'batch_axis' in plan.config ? plan.config.batch_axis : 0;
      lossAxis = normalizeAxisOrThrow(plan.loss, 'batch_axis', batchAxis, 'pred', plan.lossShape);
    } else {
      lossAxis = plan.batchAxis - (plan.weightedShape.length - plan.lossShape.length);
      if (lossAxis < 0) return `batch_axis ${plan.batchAxis} is an axis only sample_weight has`;
    }
    size = plan.lossShape[lossAxis]!;
  }
  // The rest broadcast against the loss: their batch axis is the loss's, right-aligned.
  const lossRank = plan.lossShape.length;
  for (const name of Object.keys(plan.tensors)) {
    if (positions[name] !== undefined) continue;
    const v = view(name);
    const axis = lossAxis - (lossRank - v.length);
    // At batch size 1 a weight's size-1 axis is taken as broadcasting, not as the batch.
    const broadcasts = size === 1 && WEIGHTS.has(name);
    if (axis >= 0 && v[axis] === size && !broadcasts) at(name, axis);
  }
  if (!Object.keys(positions).some((name) => !WEIGHTS.has(name)))
    return `no input but a weight has the batch axis (size ${size}) the loss keeps`;
  const axes: Record<string, number> = {};
  for (const [name, { prefix }] of Object.entries(positions)) {
    const raw = plan.tensors[name]!.shape;
    // The given tensor's axis whose elements are the batch's in the view: the same
    // product of dims before it, and the batch's size.
    let before = 1;
    for (let a = 0; a < raw.length; a++) {
      if (before === prefix && raw[a] === size) {
        axes[name] = a;
        break;
      }
      before *= raw[a]!;
    }
  }
  return { size, axes };
}
