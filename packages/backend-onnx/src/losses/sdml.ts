import type { GraphOps } from '../graph/ops.js';
import type { Value } from '../graph/onnx-graph.js';
import type { LossContext } from '../loss-graph.js';

/** KLDivLoss's `1e-12` inside `log(label + 1e-12)`. */
const LOG_EPS = 1e-12;

/**
 * `KLDivLoss(from_logits=True)` (a sum over axis 1) of `log_softmax(-distances, axis=1)`
 * against the smoothed identity `eye*(1-s) + (1-eye)*s/(N-1)`, where
 * `distances[i, j] = sum((x1[i] - x2[j])^2)`. The targets are built in the graph with
 * MXNet's float32 operations, so a batch of 1 divides 0 by 0 and gives NaN as MXNet
 * does. The weight is never applied (1.9.1 stores it only).
 */
export function sdmlLoss({ ops, inputs, plan }: LossContext<'SDMLLoss'>): Value {
  const { batch, smoothing } = plan.detail;
  const logProb = distanceLogSoftmax(ops, inputs.x1!, inputs.x2!, plan.detail);
  const eye = ops.graph.constant(
    Float32Array.from({ length: batch * batch }, (_, k) => (Math.floor(k / batch) === k % batch ? 1 : 0)),
    [batch, batch],
  );
  const targets = ops.add(ops.mul(eye, 1 - smoothing), ops.div(ops.mul(ops.sub(1, eye), smoothing), batch - 1));
  return ops.reduceSum(ops.mul(targets, ops.sub(ops.log(ops.add(targets, LOG_EPS)), logProb)), [1]);
}

/**
 * `log_softmax(-d, axis=1)` of the squared distances `d[i][j] = sum_k (x1[i][k] -
 * x2[j][k])^2`, each MXNet's float32 sum (`sumFloat32`: in float64 on the CPU EPs, where
 * onnxruntime's float32 ReduceSum put a distance near 1e4 a few ulps off MXNet's, and
 * log_softmax turned that into 1e-3 of a gradient: golden SDMLLoss/diff-1-88), with the
 * gradient MXNet's operators give, term by term: log_softmax's
 * `dd = -(g - exp(y) * sum(g))`, square's `dd * (2 * diff)`, the broadcast sums over j
 * into x1 and over i (negated) into x2, each a float32 tensor, so Inf and NaN come where
 * MXNet's do.
 *
 * One exception, where x1 dominates its column (|x1[i][k]| above every |x2[j][k]|) and
 * the result is finite: x1's gradient `sum_j dd[i][j] * 2 * (x1[i][k] - x2[j][k])` holds
 * `2 * x1[i][k] * sum_j dd[i][j]`, and `sum_j dd[i][j] = -sum(g) * (1 - sum_j
 * softmax[i][j])` is 0 in exact arithmetic, but float32 rounding noise times |x1| in
 * MXNet's order; with a large x1 (a row whose distances float32 rounds equal) that noise
 * is far larger than the gradient. MXNet's own value there is such noise (oneDNN's
 * log_softmax is off by ~1e-6), and its float64 computation gives the noise-free one.
 * There x1's gradient is `sum_j dd[i][j] * (-2 * x2[j][k])`: the same in exact
 * arithmetic, without the x1 term. Where either form is not finite, MXNet's form decides.
 */
function distanceLogSoftmax(
  ops: GraphOps,
  x1: Value,
  x2: Value,
  { batch, dim }: { readonly batch: number; readonly dim: number },
): Value {
  const pairDiff = (): Value => ops.sub(ops.reshape(x1, [batch, 1, dim]), ops.reshape(x2, [1, batch, dim]));
  const out = ops.untaped(() => ops.logSoftmax(ops.neg(ops.sumFloat32(ops.square(pairDiff()), [2])), 1));
  const finite = (v: Value): Value => ops.less(ops.abs(v), Infinity);
  return ops.record([x1, x2], out, (g, needs) => {
    const distanceGrad = ops.reshape(ops.sub(ops.mul(ops.exp(out), ops.reduceSum(g, [1], true)), g), [batch, batch, 1]);
    const diffGrad = ops.mul(distanceGrad, ops.mul(pairDiff(), 2));
    const x1Grad = (): Value => {
      const asMXNet = ops.reduceSum(diffGrad, [1]);
      const withoutX1 = ops.reduceSum(ops.mul(distanceGrad, ops.reshape(ops.mul(x2, -2), [1, batch, dim])), [1]);
      const column = ops.reduceMax(ops.abs(ops.reshape(x2, [batch, dim])), [0], true);
      const x1Dominates = ops.greater(ops.abs(ops.reshape(x1, [batch, dim])), column);
      // Nested Where: the graph has no And (see GraphOps).
      const chosen = ops.where(x1Dominates, withoutX1, asMXNet);
      return ops.reshape(ops.where(finite(asMXNet), ops.where(finite(withoutX1), chosen, asMXNet), asMXNet), x1.shape);
    };
    return [
      needs[0] ? x1Grad() : undefined,
      needs[1] ? ops.reshape(ops.reduceSum(ops.neg(diffGrad), [0]), x2.shape) : undefined,
    ];
  });
}
