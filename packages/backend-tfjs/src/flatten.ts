/**
 * Lower-rank plans for tfjs's rank limits. tfjs-wasm's XNNPACK binary kernels (add, sub,
 * mul, relu, ...) take at most 6 dimensions and return garbage beyond (values like 5e-41,
 * no error); tfjs-webgl and tfjs-webgpu shaders stop at rank 6 too. The losses below
 * compute element by element (with broadcasting), reduce around the batch axis and, for
 * SoftmaxCE and KLDivLoss, along one class axis, so a call can run on a plan of lower
 * rank that reads the same row-major data:
 * - an axis of size 1 in the weighted loss (so in every tensor) is dropped;
 * - two neighbouring axes merge when neither is the batch axis or the class axis and
 *   every tensor either has both or broadcasts over both.
 * The output and each gradient keep their row-major order, so only their shapes change
 * back. A call whose plan still has more axes than the variant takes is refused up front
 * (`maxRank`), never computed.
 */
import type { CallPlan, CanonicalLossName, LossDetail, Shape, Tensor } from '@gluon-loss/spec';

/** The losses whose tfjs graphs only use element-wise ops, broadcasting and reductions. */
const FLATTENABLE: ReadonlySet<CanonicalLossName> = new Set<CanonicalLossName>([
  'L2Loss',
  'L1Loss',
  'SigmoidBinaryCrossEntropyLoss',
  'HuberLoss',
  'HingeLoss',
  'SquaredHingeLoss',
  'LogisticLoss',
  'PoissonNLLLoss',
  'KLDivLoss',
  'SoftmaxCrossEntropyLoss',
]);

/** The largest rank a plan may hold: every shape it reads or makes. */
export function planRank(plan: CallPlan): number {
  const shapes: Shape[] = [plan.lossShape, plan.weightedShape, ...Object.values(plan.views)];
  for (const t of Object.values(plan.tensors)) shapes.push(t.shape);
  return Math.max(...shapes.map((s) => s.length));
}

/** The most axes tfjs-wasm, tfjs-webgl and tfjs-webgpu kernels take. */
export const MAX_KERNEL_RANK = 6;

/**
 * The most axes a tfjs backend's kernels take: tfjs-cpu any; tfjs-wasm 6; tfjs-webgl and
 * tfjs-webgpu 4, since their Where (select) and Cumsum stop there ("Where for rank 5 is
 * not yet supported"), and the MXNet-exact ops (ops/where.ts, ops/float32-sum.ts) use them.
 */
export function kernelRank(backend: string): number {
  if (backend === 'cpu') return Infinity;
  return backend === 'webgl' || backend === 'webgpu' ? 4 : MAX_KERNEL_RANK;
}

/**
 * The same call on as few axes as its broadcasting allows, when it has more than `maxRank`
 * (the plan itself otherwise, or when nothing merges).
 */
export function flattenPlan<L extends CanonicalLossName>(plan: CallPlan<L>, maxRank = MAX_KERNEL_RANK): CallPlan<L> {
  if (!FLATTENABLE.has(plan.loss) || planRank(plan) <= maxRank) return plan;
  const rank = plan.weightedShape.length;
  const align = (s: Shape): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const views = Object.fromEntries(Object.entries(plan.views).map(([name, s]) => [name, align(s)]));
  const lossShape = align(plan.lossShape);
  const weighted = [...plan.weightedShape];
  // SoftmaxCE's and KLDivLoss's (from_logits=False) axis of pred; KLDivLoss's -1 means none.
  const detail: LossDetail = plan.detail;
  const axis = 'axis' in detail ? detail.axis : undefined;
  const classAxis = typeof axis === 'number' && axis >= 0 ? axis + (rank - plan.views.pred!.length) : undefined;
  const keep = (i: number) => i === plan.batchAxis || i === classAxis;
  const axes = weighted.map((_, i) => i).filter((i) => weighted[i] !== 1 || keep(i));
  // Groups of original axes, each becoming one axis.
  const groups: number[][] = [];
  const all = [...Object.values(views), lossShape, weighted];
  for (const i of axes) {
    const last = groups.at(-1);
    const j = last?.at(-1);
    const merges =
      last !== undefined && j !== undefined && !keep(i) && !keep(j) && all.every((s) => (s[i] === 1) === (s[j] === 1));
    if (merges) last.push(i);
    else groups.push([i]);
  }
  if (groups.length === 0) groups.push([0]); // every axis of size 1 (PoissonNLLLoss's mean-all)
  if (groups.length === rank) return plan;
  const squeeze = (s: number[]): number[] => groups.map((g) => g.reduce((p, i) => p * s[i]!, 1));
  const at = (axis: number | undefined) => (axis === undefined ? -1 : groups.findIndex((g) => g.includes(axis)));
  const flatViews = Object.fromEntries(Object.entries(views).map(([name, s]) => [name, squeeze(s)]));
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(plan.tensors)) tensors[name] = { data: t.data, shape: flatViews[name]! };
  return {
    ...plan,
    tensors,
    views: flatViews,
    lossShape: squeeze(lossShape),
    weightedShape: squeeze(weighted),
    batchAxis: plan.batchAxis < 0 ? plan.batchAxis : at(plan.batchAxis),
    detail: classAxis === undefined ? plan.detail : { ...plan.detail, axis: at(classAxis) },
  };
}
