/**
 * HuberLoss: with `a = |label - pred|`, `where(a > rho, a - rho/2, (0.5/rho) * a^2)`.
 * MXNet compares in float32 (`a` is a float32 tensor, rho a float32 scalar), so `a` is
 * computed in float32 here too; at `a == rho` the quadratic branch is taken.
 *
 * The two branches are taken explicitly: a branch-free `min(a, rho)` written as
 * `(a + rho - |a - rho|) / 2` cancels to 0 when rho is tiny beside a (rho = 1e-30 gave a
 * zero gradient). `0.5/rho` is the float32 scalar MXNet multiplies by (it overflows to
 * +inf for a subnormal rho, as there). The gradient of abs is sign(), 0 at 0.
 */
import { ElementwiseLoss } from '../elementwise-loss.js';
import type { FusedWalk } from '../weighting.js';

function huberForward(
  pred: Float32Array,
  label: Float32Array,
  rho: number,
  { inner, groups, weights }: FusedWalk,
  acc: Float64Array,
): void {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const a = Math.abs(Math.fround(label[e]! - pred[e]!));
      sum += (a > rho32 ? a - halfRho : quadratic * a * a) * (weights === null ? 1 : weights[e]!);
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

function huberForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  rho: number,
  { inner, groups, weights }: FusedWalk,
  lossGrad: Float64Array,
  acc: Float64Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
  weightGrad: Float32Array | null,
): void {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  const twiceQuadratic = 2 * quadratic;
  let group = 0;
  for (let start = 0; start < pred.length; start += inner) {
    const end = start + inner;
    const g = lossGrad[group]!;
    let sum = 0;
    for (let e = start; e < end; e++) {
      const w = weights === null ? 1 : weights[e]!;
      const d = Math.fround(label[e]! - pred[e]!);
      const a = Math.abs(d);
      const linear = a > rho32;
      const loss = linear ? a - halfRho : quadratic * a * a;
      sum += loss * w;
      const sign = Number(d > 0) - Number(d < 0);
      const gd = (linear ? sign : sign * twiceQuadratic * a) * g * w;
      labelGrad[e] = gd;
      predGrad[e] = -gd;
      if (weightGrad !== null) weightGrad[e] = loss * g;
    }
    acc[group]! += sum;
    if (++group === groups) group = 0;
  }
}

export class HuberLoss extends ElementwiseLoss {
  constructor(config: unknown) {
    super('HuberLoss', config, {
      forward: (plan, pred, label, walk, acc) => huberForward(pred, label, plan.detail.rho as number, walk, acc),
      forwardBackward: (plan, pred, label, walk, ...buffers) =>
        huberForwardBackward(pred, label, plan.detail.rho as number, walk, ...buffers),
    });
  }
}
