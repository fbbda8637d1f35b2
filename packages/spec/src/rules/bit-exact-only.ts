/**
 * The calls whose answer hangs on the last bit of MXNet's float32 arithmetic: not its
 * size, which the tolerances judge, but its class (finite, ±Inf or NaN). Only a backend
 * that models MXNet's kernels to the bit (backend-ts) reproduces them; every other backend
 * refuses them with this one rule, so a new rule of the kind is added here once and no
 * backend can miss it:
 *
 * - oneDNN's log_softmax on a row holding a NaN or +Inf (log-softmax-float32.ts,
 *   oneDnnLogSoftmaxSupport);
 * - CosineEmbeddingLoss under an infinite sample_weight (cosine-infinite-weight.ts,
 *   cosineFiniteWeights).
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';
import { cosineFiniteWeights } from './cosine-infinite-weight.js';
import { oneDnnLogSoftmaxSupport } from './log-softmax-float32.js';

/** Supported unless the call's result class hangs on MXNet's exact rounding (see the module comment). */
export function bitExactOnly(plan: CallPlan, backend: string): Support {
  const oneDnn = oneDnnLogSoftmaxSupport(plan);
  if (!oneDnn.supported) return oneDnn;
  return cosineFiniteWeights(plan, backend);
}
