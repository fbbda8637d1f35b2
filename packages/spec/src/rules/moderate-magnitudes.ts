/**
 * Finite magnitudes beyond 2^24 (ORDINARY_MAGNITUDE) in a call's arithmetic inputs or its
 * weight. With values that large, the products, squares and sums a loss forms on its way
 * can reach float32's range, and whether MXNet's result is finite or ±Inf then hangs on
 * its order of float32 operations, which only a backend that runs that order reproduces
 * (backend-ts; backend-wasm's kernels and its per-element layout). The differential found
 * tfjs and onnxruntime finite where MXNet overflows (SigmoidBCE's pred gradient under
 * pos_weight, -9.2e37 against MXNet's -Inf), overflowing where it does not (KLDivLoss at
 * 1.5e38, LogisticLoss's gradient at 5e37), NaN from a cosine's squared norms where
 * MXNet's scaled nrm2 stays finite, and tfjs-wasm's CTC gradient wrong beside an
 * activation of 4e15 (the goldens named large-magnitude-*). ±Inf and NaN are not magnitudes:
 * their rules are the losses' own, which every backend follows.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';
import { arithmeticTensors, ORDINARY_MAGNITUDE } from './ordinary-values.js';

const beyond = (v: number): boolean => Math.abs(v) > ORDINARY_MAGNITUDE && Math.abs(v) !== Infinity;

/** Whether the call's arithmetic inputs and weight stay within 2^24 in magnitude (±Inf and NaN aside). */
export function moderateMagnitudes(plan: CallPlan, backend: string): Support {
  const why = `beyond 2^24, MXNet's float32 intermediates overflow or not by their order of operations, which ${backend} does not follow`;
  const weight = plan.appliedWeight ?? 1;
  if (beyond(weight)) return { supported: false, reason: `the weight is ${weight}: ${why}` };
  for (const [name, tensor] of arithmeticTensors(plan)) {
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) {
      if (beyond(data[i]!)) return { supported: false, reason: `${name}[${i}] is ${data[i]}: ${why}` };
    }
  }
  return { supported: true };
}
