import type { Value } from '../graph/onnx-graph.js';
import type { GraphOps } from '../graph/ops.js';
import type { LossContext } from '../loss-graph.js';

/** MXNet's floor under the product of the norms. */
const NORM_FLOOR = 1e-12;

/**
 * Cosine similarity along the last axis, `dot / maximum(|x| * |y|, 1e-12)`, as (rows, 1);
 * then `(1 - cos) * (label == 1) + maximum(0, (label == -1) * (cos - margin))`.
 *
 * Float32 as MXNet computes it (see backend-ts's cosine-embedding.ts, which does it to
 * the bit): the norms are mshadow's scaled nrm2, finite for any finite vector (where
 * `sqrt(sum(x^2))` overflows from |x| ~ 1.8e19 on); the dot is a float32 sum of the
 * float32 products that stays Inf once a partial sum overflows; both maximums keep NaN.
 * The cosine and the hinge carry MXNet's operator-by-operator backward in closed form.
 */
export function cosineEmbeddingLoss({ ops, inputs, plan }: LossContext<'CosineEmbeddingLoss'>): Value {
  const { rows, margin } = plan.detail;
  const cos = cosineSimilarity(ops, inputs.input1!, inputs.input2!, rows);
  const label = inputs.label!;
  const similar = ops.cast(ops.equal(label, 1), 'float32');
  const dissimilar = ops.cast(ops.equal(label, -1), 'float32');
  const pull = ops.mul(ops.sub(1, cos), similar);
  const push = hinge(ops, ops.mul(dissimilar, ops.sub(cos, margin)));
  return ops.add(pull, push);
}

/**
 * MXNet's `broadcast_maximum(0, v)`: v where v > 0, NaN at NaN, else 0; the gradient is
 * `g * (0 < v)`, a product, so NaN where g is Inf or NaN on the inactive side too.
 */
function hinge(ops: GraphOps, v: Value): Value {
  const out = ops.untaped(() => ops.where(ops.less(v, 0), 0, v));
  return ops.record([v], out, (g) => [ops.mul(g, ops.cast(ops.greater(v, 0), 'float32'))]);
}

/**
 * `sum(x * y) / max(|x| * |y|, 1e-12)` along the last axis, as (rows, 1), with MXNet's
 * backward: div's `g / b` and `g * (-a / b^2)`, maximum's `g * (prod >= 1e-12)`, the
 * norms' product, the norm's `g * (x / |x|)` and the product's `g * y`, each a float32
 * tensor as MXNet materialises it.
 */
function cosineSimilarity(ops: GraphOps, x: Value, y: Value, rows: number): Value {
  const last = y.shape.length - 1;
  const column = (v: Value): Value => ops.reshape(v, [rows, 1]);
  const { cos, dot, normX, normY, prod, denom } = ops.untaped(() => {
    const dot = column(overflowingSum(ops, ops.mul(x, y), last));
    const normX = column(scaledNorm(ops, x, last));
    const normY = column(scaledNorm(ops, y, last));
    const prod = ops.mul(normX, normY);
    // mshadow's maximum keeps NaN: NaN < floor is false.
    const denom = ops.where(ops.less(prod, NORM_FLOOR), NORM_FLOOR, prod);
    return { cos: ops.div(dot, denom), dot, normX, normY, prod, denom };
  });
  return ops.record([x, y], cos, (g, needs) => {
    // MXNet's `g * (1 / b)`, with 1 / b as Reciprocal: onnxruntime's DivMulFusion rewrites
    // `Mul(g, Div(1, b))` into `Div(g, b)`, which rounds once instead of twice.
    const [reciprocal] = ops.graph.node('Reciprocal', [denom], [{ dtype: 'float32', shape: denom.shape }]);
    const gDot = ops.mul(g, reciprocal!);
    const gDenom = ops.mul(g, ops.div(ops.neg(dot), ops.mul(denom, denom)));
    const gProd = ops.mul(gDenom, ops.cast(ops.greaterOrEqual(prod, NORM_FLOOR), 'float32'));
    const vectors = (v: Value): Value => ops.reshape(v, [...x.shape.slice(0, last), 1]);
    const gradOf = (self: Value, other: Value, selfNorm: Value, otherNorm: Value): Value =>
      ops.add(
        ops.mul(vectors(gDot), other),
        ops.mul(vectors(ops.mul(gProd, otherNorm)), unitVector(ops, self, vectors(selfNorm))),
      );
    return [needs[0] ? gradOf(x, y, normX, normY) : undefined, needs[1] ? gradOf(y, x, normY, normX) : undefined];
  });
}

/** `x / |x|`, the factor of MXNet's norm gradient: 0/0 = NaN on every element of a zero vector. */
function unitVector(ops: GraphOps, x: Value, norm: Value): Value {
  return ops.where(ops.equal(norm, 0), Number.NaN, ops.div(x, norm));
}

/**
 * The L2 norm along `axis` as mshadow's nrm2 computes it: `m * sqrt(sum((x / m)^2))`
 * with `m = max |x|`, so it overflows only where the norm itself exceeds float32's max.
 * A zero vector gives 0; NaN gives NaN; one Inf gives Inf and a second one NaN (mshadow
 * adds (Inf / Inf)^2 for it). Elements equal to m count 1 exactly, as in mshadow.
 */
function scaledNorm(ops: GraphOps, x: Value, axis: number): Value {
  const magnitude = ops.abs(x);
  const m = ops.reduceMax(magnitude, [axis], true);
  const safeM = ops.where(ops.equal(m, 0), 1, m);
  const ratio = ops.where(ops.equal(magnitude, m), 1, ops.div(magnitude, safeM));
  const squares = ops.reduceSum(ops.square(ratio), [axis], true);
  const norm = ops.mul(m, ops.sqrt(squares));
  const twoInfinities = ops.where(ops.greater(squares, 1), Number.NaN, norm);
  return ops.where(ops.equal(m, Infinity), twoInfinities, norm);
}

/**
 * `sum(p)` along `axis`, except that a row whose running float32 sum overflows is that
 * running sum's end (±Inf, or NaN if the other infinity follows): mshadow's sum stops
 * compensating at Inf and stays there.
 */
function overflowingSum(ops: GraphOps, p: Value, axis: number): Value {
  const sum = ops.reduceSum(p, [axis], true);
  // The running sum's last entry, sliced from -1 so that the slice's constants do not
  // depend on the axis's length (a 1-D input's vector axis is its batch, kept symbolic).
  const g = ops.graph;
  const [end] = g.node(
    'Slice',
    [ops.cumSum(p, axis), g.int64s([-1]), g.int64s([Number.MAX_SAFE_INTEGER]), g.int64s([axis])],
    [{ dtype: 'float32', shape: sum.shape }],
  );
  // |end| < Inf is false at ±Inf and NaN.
  return ops.where(ops.less(ops.abs(end!), Infinity), sum, end!);
}
