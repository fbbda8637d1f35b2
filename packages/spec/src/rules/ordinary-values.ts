/**
 * The values a backend computes exactly as MXNet does only while they stay ordinary: no
 * NaN, no infinity, no subnormal, and magnitudes whose products and squares cannot
 * overflow float32. MXNet's float32 kernels give NaN, Inf and overflow at precise places
 * (0 * Inf in a `where` gradient, a mean whose sum overflows, relu's NaN); a backend whose
 * kernels take other paths (fused SIMD code, GPU shaders that flush subnormals or treat
 * NaN in `where`/`max` their own way) refuses calls with other values, with
 * UnsupportedError before it computes anything, so the router runs them on a backend that
 * reproduces MXNet there (ts, tfjs-cpu, onnx-node). Integer-valued inputs (class indices,
 * CTC labels and lengths) are read by the index rules, not by arithmetic, and are not checked.
 */
import type { Support } from '../backend.js';
import type { CallPlan } from '../plan.js';
import type { Tensor } from '../tensor.js';
import { lossSpec } from '../registry.js';

/**
 * 2^24, float32's exact-integer range: squares and products stay far from overflow, and
 * beyond it MXNet's float32 cancellations (log(p + 1e-12) of a "probability" of 9e5 against
 * a label of -9e10, golden SigmoidBinaryCrossEntropyLoss/ieee-3-16) leave its result farther
 * from the exact one than any tolerance allows, reproducible only in MXNet's own order.
 */
export const ORDINARY_MAGNITUDE = 2 ** 24;
const SMALLEST_NORMAL = 1.1754943508222875e-38;

function describe(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return Math.abs(v) > ORDINARY_MAGNITUDE ? `${v} (beyond 2^24)` : `${v} (subnormal)`;
}

/**
 * The call's inputs that enter arithmetic: every tensor but the integer-valued ones
 * (class indices, CTC labels and lengths), which the index rules read.
 */
export function arithmeticTensors(plan: CallPlan): [name: string, tensor: Tensor][] {
  const integer = new Set(
    lossSpec(plan.loss)
      .inputs(plan.config as never)
      .filter((d) => d.integer)
      .map((d) => d.name),
  );
  return Object.entries(plan.tensors).filter(([name]) => !integer.has(name));
}

/** Whether every non-integer input of the call holds ordinary values; the first other value when not. */
export function ordinaryValues(plan: CallPlan, backend: string): Support {
  for (const [name, tensor] of arithmeticTensors(plan)) {
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      const a = Math.abs(v);
      // NaN fails every comparison, so it lands here too.
      if (!(a <= ORDINARY_MAGNITUDE) || (a < SMALLEST_NORMAL && a !== 0)) {
        return {
          supported: false,
          reason: `${name}[${i}] is ${describe(v)}: ${backend} computes NaN, infinities, subnormals and overflow only where its kernels agree with MXNet's float32 arithmetic, so it takes ordinary values only`,
        };
      }
    }
  }
  return { supported: true };
}
