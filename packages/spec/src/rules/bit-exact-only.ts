/**
 * The calls whose answer hangs on the last bit of MXNet's float32 arithmetic: not its
 * size, which the tolerances judge, but its class (finite, ±Inf or NaN). Only a backend
 * that models MXNet's kernels to the bit (backend-ts) reproduces them; every other backend
 * refuses them with this one rule, so a new rule of the kind is added here once and no
 * backend can miss it. A backend that reproduces one kind to the bit (backend-wasm's
 * float32 cosine passes) says so in `reproduces`, and only that kind is let through:
 *
 * - oneDNN's log_softmax on a row holding a NaN or +Inf (log-softmax-float32.ts,
 *   oneDnnLogSoftmaxSupport);
 * - CosineEmbeddingLoss under an infinite sample_weight (cosine-infinite-weight.ts,
 *   cosineFiniteWeights);
 * - finite magnitudes beyond 2^24, where MXNet's intermediates overflow or not by their
 *   order (moderate-magnitudes.ts, moderateMagnitudes);
 * - and one whose size, not class, is MXNet's float32 rounding: SDMLLoss rows whose
 *   nearest distances float32 cannot tell apart (sdml-distance-resolution.ts,
 *   sdmlDistancesResolved), which only backend-ts reproduces.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';
import { cosineFiniteWeights } from './cosine-infinite-weight.js';
import { oneDnnLogSoftmaxSupport } from './log-softmax-float32.js';
import { moderateMagnitudes } from './moderate-magnitudes.js';
import { sdmlDistancesResolved } from './sdml-distance-resolution.js';

/** The kinds of call above that a backend reproduces to MXNet's bit. */
export interface BitExactKinds {
  /** CosineEmbeddingLoss's norms and dot as MXNet's sequential float32 sums (Kahan's dot, mshadow's scaled nrm2). */
  readonly cosineFloat32Sums?: boolean;
  /** MXNet's order of float32 operations in every loss, so overflow lands where MXNet's does. */
  readonly float32OperationOrder?: boolean;
}

/** What a backend already knows of a call's values (from a faster scan of its own). */
export interface KnownValues {
  /** No input that enters arithmetic (`arithmeticTensors`) holds a NaN or an infinity. */
  readonly finite: boolean;
  /** No such input holds a finite magnitude beyond 2^24 (the spec's ordinaryValues implies it). */
  readonly moderate: boolean;
}

/**
 * Supported unless the call's result class hangs on MXNet's exact rounding (see the module
 * comment) in a way the backend does not reproduce (`reproduces`, by default nothing).
 * Every kind but the magnitudes needs a NaN or an infinity, in an input or the weight, so
 * a backend that knows its inputs finite and moderate (`known`, backend-wasm's SIMD scan)
 * is answered without a scan.
 */
export function bitExactOnly(
  plan: CallPlan,
  backend: string,
  reproduces: BitExactKinds = {},
  known?: KnownValues,
): Support {
  const moderate =
    reproduces.float32OperationOrder === true || known?.moderate === true
      ? { supported: true as const }
      : moderateMagnitudes(plan, backend);
  const magnitudes = moderate.supported ? sdmlDistancesResolved(plan, backend) : moderate;
  if (known?.finite === true && Number.isFinite(plan.appliedWeight ?? 1)) return magnitudes;
  const oneDnn = oneDnnLogSoftmaxSupport(plan);
  if (!oneDnn.supported) return oneDnn;
  const cosine =
    reproduces.cosineFloat32Sums === true ? { supported: true as const } : cosineFiniteWeights(plan, backend);
  return cosine.supported ? magnitudes : cosine;
}
