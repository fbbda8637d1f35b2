/**
 * SDMLLoss rows whose nearest distances float32 cannot tell apart. A squared distance of
 * 5.4e10 has a float32 ulp of 4096; where a row's runner-up distances lie within a few
 * dozen of its nearest one (so they carry softmax mass), which of them round equal
 * decides MXNet's loss and gradient, and its result is float32 noise: -0.547 where its
 * float64 run gives -0.0012, from inputs of 2.3e5, within the 2^24 of moderateMagnitudes
 * (nightly seed 202612023, SDML case 43). Only a backend that runs MXNet's float32
 * operators in order (backend-ts) reproduces that; every other backend refuses such rows.
 *
 * A row is unresolved when its nearest distance m has a float32 ulp above 2^-10 (m of 2^13
 * and more: rounding then moves log-probabilities by more than the goldens' tolerance) and
 * another of its distances is within SOFTMAX_REACH of m.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';

/** exp(-64) is 1.6e-28: a distance further than this from a row's nearest carries no softmax mass. */
const SOFTMAX_REACH = 64;
/** 2^13: from here a float32 distance's ulp is above 2^-10. */
const RESOLVED_BELOW = 2 ** 13;

export function sdmlDistancesResolved(plan: CallPlan, backend: string): Support {
  if (plan.loss !== 'SDMLLoss') return { supported: true };
  const x1 = plan.tensors.x1!.data;
  const x2 = plan.tensors.x2!.data;
  const { batch, dim } = plan.detail as { batch: number; dim: number };
  const row = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    let nearest = Infinity;
    for (let j = 0; j < batch; j++) {
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const diff = Math.fround(x1[i * dim + k]! - x2[j * dim + k]!);
        d += diff * diff;
      }
      row[j] = d;
      if (d < nearest) nearest = d;
    }
    // NaN and infinite distances are the log_softmax rule's (bitExactOnly's oneDNN rows).
    if (!(nearest >= RESOLVED_BELOW) || nearest === Infinity) continue;
    let close = 0;
    for (let j = 0; j < batch; j++) if (row[j]! - nearest < SOFTMAX_REACH) close++;
    if (close > 1) {
      return {
        supported: false,
        reason:
          `row ${i}'s nearest squared distances (from ${nearest.toPrecision(3)}) are closer than float32 resolves there: ` +
          `MXNet's result is its float32 rounding, which ${backend} does not reproduce`,
      };
    }
  }
  return { supported: true };
}
