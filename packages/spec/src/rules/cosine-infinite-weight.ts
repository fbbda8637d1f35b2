/**
 * CosineEmbeddingLoss under an infinite weight. The weighted loss is `±Inf * loss`, and
 * its class hangs on the last bit of the unweighted loss: ±Inf where it is not 0, NaN
 * where it is exactly 0. For a pair of (nearly) parallel vectors `1 - cos` is 0 or one
 * ulp (6e-8) depending on how MXNet rounded its cosine: its norms are mshadow's scaled
 * nrm2, summed element by element in float32, and its dot a Kahan-compensated float32
 * sum (golden CosineEmbeddingLoss/diff-1-129: `x == y` gives cos = 1 exactly in MXNet,
 * so NaN, while any other rounding gives 0.99999994 or 1.0000001 and ±Inf). A backend
 * that computes the norms and the dot in another order (tfjs, onnxruntime) refuses such
 * calls, so the router runs them on one that reproduces MXNet's sums to the bit (ts, and
 * backend-wasm, whose special-value kernels follow them).
 * Finite weights, however large, keep the class: there the tolerances judge the size.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';

/** Whether a CosineEmbeddingLoss call's sample_weight is free of ±Inf (the config's weight is finite by its schema). */
export function cosineFiniteWeights(plan: CallPlan, backend: string): Support {
  if (plan.loss !== 'CosineEmbeddingLoss') return { supported: true };
  const why = `${backend} rounds the cosine's norms and dot otherwise than MXNet's sequential float32 sums, and under an infinite weight that last bit decides between ±Infinity and NaN`;
  const data = plan.tensors.sample_weight?.data;
  if (data !== undefined) {
    for (let i = 0; i < data.length; i++) {
      if (Math.abs(data[i]!) === Infinity) {
        return { supported: false, reason: `sample_weight[${i}] is ${data[i]}: ${why}` };
      }
    }
  }
  return { supported: true };
}
