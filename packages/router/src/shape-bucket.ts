/**
 * The shape bucket: calls whose bucket is the same share one timing decision. It must be
 * coarse enough that a training loop with a ragged last batch does not re-time, and fine
 * enough that a backend's relative speed is the same across the bucket. Per loss:
 *
 * - the element count of the main input (pred, input1 or x1), rounded up to a power of
 *   two: fixed per-call costs dominate small tensors, bandwidth large ones, and the
 *   crossover moves by factors, not by a few elements;
 * - the structural sizes that change the work per element, also rounded up to a power
 *   of two: the class count of a softmax (SoftmaxCE; KLDiv when it applies log_softmax),
 *   CTC's sequence length, alphabet and label width (its dynamic programme is
 *   T x (2L + 1) per sample), SDML's batch (it is quadratic in it), the cosine vector
 *   length;
 * - which optional tensors are given (sample_weight, pos_weight, CTC lengths), and which
 *   are int32: they change the graph a backend runs.
 *
 * Shapes that differ only within those powers of two share a bucket; the exact shape and
 * the batch/feature split of element-wise losses do not matter.
 */
import type { CallPlan, LossDetailBase } from '@gluon-loss/spec';

/** The smallest power of two >= n (1 for n <= 1). */
export function ceilPow2(n: number): number {
  if (n <= 1) return 1;
  if (n <= 0x40000000) return 2 ** (32 - Math.clz32(n - 1));
  return 2 ** Math.ceil(Math.log2(n));
}

const MAIN_INPUT: Readonly<Record<string, string>> = { CosineEmbeddingLoss: 'input1', SDMLLoss: 'x1' };

/** The structural sizes of a loss, from the plan's normalised facts. */
function structure(plan: CallPlan): string {
  const d: LossDetailBase = plan.detail;
  switch (plan.loss) {
    case 'SoftmaxCrossEntropyLoss':
      return ` classes<=${ceilPow2(d.classes as number)}`;
    case 'KLDivLoss':
      return d.fromLogits ? '' : ` classes<=${ceilPow2(plan.views.pred![d.axis as number]!)}`;
    case 'CTCLoss':
      return ` t<=${ceilPow2(d.t as number)} c<=${ceilPow2(d.c as number)} l<=${ceilPow2(d.labelLength as number)}`;
    case 'SDMLLoss':
      return ` batch<=${ceilPow2(d.batch as number)}`;
    case 'CosineEmbeddingLoss':
      return ` dim<=${ceilPow2(d.dim as number)}`;
    default:
      return '';
  }
}

/** The bucket of a validated call, e.g. `elements<=1024 classes<=16 +sample_weight`. */
export function shapeBucket(plan: CallPlan): string {
  const main = plan.tensors[MAIN_INPUT[plan.loss] ?? 'pred']!;
  let key = `elements<=${ceilPow2(main.data.length)}${structure(plan)}`;
  for (const name in plan.tensors) {
    const t = plan.tensors[name]!;
    const optional =
      name === 'sample_weight' || name === 'pos_weight' || name === 'pred_lengths' || name === 'label_lengths';
    if (optional) key += ` +${name}`;
    if (t.data instanceof Int32Array) key += ` ${name}:int32`;
  }
  return key;
}
