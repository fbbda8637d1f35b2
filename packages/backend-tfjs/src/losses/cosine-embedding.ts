import * as tf from '@tensorflow/tfjs';
import type { LossCall } from '../loss-call.js';
import { unaryCustomGrad } from '../ops/unary-custom-grad.js';

/** MXNet's floor under `|x| * |y|` in the cosine's denominator. */
const NORM_PRODUCT_FLOOR = 1e-12;

/**
 * `(1 - cos) * (label == 1) + max(0, (label == -1) * (cos - margin))`, with
 * `cos = sum(x*y) / max(|x| * |y|, 1e-12)` along the last axis, reshaped to (rows, 1).
 * The label masks are constants.
 *
 * Float32 as MXNet computes it (see backend-ts's cosine-embedding.ts, which does it to
 * the bit): the norms are mshadow's scaled nrm2, so they stay finite for any finite
 * vector (`sqrt(sum(x^2))` overflows from |x| ~ 1.8e19 on); the dot is a float32 sum of
 * the float32 products that stays Inf once a partial sum overflows; both maximums keep
 * NaN. The gradients are MXNet's operator-by-operator backward (customGrad), not tfjs's
 * algebra: it differs where an Inf or NaN meets a 0 mask.
 */
export function cosineEmbeddingLoss(call: LossCall<'CosineEmbeddingLoss'>): tf.Tensor {
  const x = call.input('input1');
  const y = call.input('input2');
  const cos = cosineSimilarity(x, y);
  const label = call.constant('label');
  const similar = tf.cast(tf.equal(label, 1), 'float32');
  const dissimilar = tf.cast(tf.equal(label, -1), 'float32');
  return tf.add(tf.mul(tf.sub(1, cos), similar), hinge(tf.mul(dissimilar, tf.sub(cos, call.detail.margin))));
}

/**
 * MXNet's `broadcast_maximum(0, v)`: v where v > 0, NaN at NaN, else 0; the gradient is
 * `dy * (0 < v)`, a product, so NaN where dy is Inf or NaN on the inactive side too.
 */
function hinge(v: tf.Tensor): tf.Tensor {
  return unaryCustomGrad((input, save) => {
    save([input]);
    return {
      value: tf.where(tf.less(input, 0), tf.zerosLike(input), input),
      gradFunc: (dy, saved) => tf.mul(dy, tf.cast(tf.greater(saved[0]!, 0), 'float32')),
    };
  })(v);
}

/**
 * `sum(x * y) / max(|x| * |y|, 1e-12)` along the last axis, as (rows, 1), with MXNet's
 * backward: div's `g / b` and `g * (-a / b^2)`, maximum's `g * (prod >= 1e-12)`, the
 * norms' product, the norm's `g * (x / |x|)` and the product's `g * y`, each a float32
 * tensor as MXNet materialises it.
 */
function cosineSimilarity(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const last = y.rank - 1;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    const dot = overflowingSum(tf.mul(a, b), last);
    const normA = scaledNorm(a, last);
    const normB = scaledNorm(b, last);
    const prod = tf.mul(normA, normB);
    // mshadow's maximum keeps NaN: NaN < floor is false.
    const denom = tf.where(tf.less(prod, NORM_PRODUCT_FLOOR), tf.fill(prod.shape, NORM_PRODUCT_FLOOR), prod);
    save([a, b, dot, normA, normB, prod, denom]);
    return {
      value: tf.reshape(tf.div(dot, denom), [-1, 1]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb, sDot, sNormA, sNormB, sProd, sDenom] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const g = tf.reshape(dy, sDot.shape);
        const gDot = tf.mul(g, tf.div(1, sDenom));
        const gDenom = tf.mul(g, tf.div(tf.neg(sDot), tf.mul(sDenom, sDenom)));
        const gProd = tf.mul(gDenom, tf.cast(tf.greaterEqual(sProd, NORM_PRODUCT_FLOOR), 'float32'));
        // Row values spread over their vectors with broadcastTo: tfjs-cpu's broadcasting
        // binary kernels are 3x slower than a broadcastTo and a same-shape op.
        const spread = (t: tf.Tensor) => tf.broadcastTo(tf.expandDims(t, last), sa.shape);
        const gradOf = (self: tf.Tensor, other: tf.Tensor, selfNorm: tf.Tensor, otherNorm: tf.Tensor) =>
          tf.add(
            tf.mul(spread(gDot), other),
            tf.mul(spread(tf.mul(gProd, otherNorm)), unitVector(self, spread(selfNorm))),
          );
        return [gradOf(sa, sb, sNormA, sNormB), gradOf(sb, sa, sNormB, sNormA)];
      },
    };
  });
  return op(x, y);
}

/**
 * `x / |x|` (|x| already spread over x's shape), the factor of MXNet's norm gradient:
 * 0/0 = NaN on every element of a zero vector. The NaN is put there explicitly (x / NaN):
 * tfjs-webgl's divide returns 1 when both operands are equal, 0 / 0 included.
 */
function unitVector(x: tf.Tensor, norm: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.where(tf.equal(norm, 0), tf.fill(norm.shape, Number.NaN), norm));
}

/** float32's largest finite value. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The L2 norm along `axis` as mshadow's nrm2 computes it: `m * sqrt(sum((x / m)^2))`
 * with `m = max |x|`, so it overflows only where the norm itself exceeds float32's max.
 * A zero vector gives 0 (m is taken as 1); NaN gives NaN. Where m is Inf the ratios are
 * taken against float32's max, so the sum is Inf and the norm Inf for one infinity; a
 * second one gives NaN (mshadow adds (Inf / Inf)^2 for it).
 */
function scaledNorm(x: tf.Tensor, axis: number): tf.Tensor {
  const magnitude = tf.abs(x);
  const m = tf.max(magnitude, axis, true);
  const finiteM = tf.where(tf.equal(m, Infinity), tf.fill(m.shape, FLOAT32_MAX), m);
  const scale = tf.where(tf.equal(m, 0), tf.onesLike(m), finiteM);
  const squares = tf.sum(tf.square(tf.div(magnitude, tf.broadcastTo(scale, x.shape))), axis, true);
  const norm = tf.mul(m, tf.sqrt(squares));
  const infinities = tf.sum(tf.cast(tf.equal(magnitude, Infinity), 'float32'), axis, true);
  return tf.squeeze(tf.where(tf.greater(infinities, 1), tf.fill(norm.shape, Number.NaN), norm), [axis]);
}

/**
 * `sum(p)` along `axis`, except that a row whose running float32 sum overflows is that
 * running sum's end (±Inf, or NaN if the other infinity follows): mshadow's sum stops
 * compensating at Inf and stays there, where tfjs-cpu's float64 accumulator comes back.
 */
function overflowingSum(p: tf.Tensor, axis: number): tf.Tensor {
  const sum = tf.sum(p, axis);
  const running = tf.cumsum(p, axis);
  const end = tf.squeeze(
    tf.slice(
      running,
      running.shape.map((d, i) => (i === axis ? d - 1 : 0)),
    ),
    [axis],
  );
  return tf.where(tf.isFinite(end), sum, end);
}
