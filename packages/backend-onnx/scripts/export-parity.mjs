/**
 * Which golden call cases an exported ONNX model is held to. A model cannot refuse a call
 * (it has no error path inside a graph) and sums in plain float32 (no float64, no If: a
 * graph every execution provider runs), so three kinds of golden are not held against it
 * (conformance/README.md, "exported ONNX models"):
 *
 * - the calls onnx-node refuses by the spec's bitExactOnly: CosineEmbeddingLoss under an
 *   infinite sample_weight, a NaN or +Inf where MXNet's oneDNN log_softmax is not the math;
 * - a sum MXNet's float32 arithmetic overflows partway (Inf for good) while the exact one
 *   stays finite: somewhere MXNet's value is ±Inf and its float64 reference finite
 *   (onnx-node's float32Sum follows MXNet there);
 * - gradients summed over tens of thousands of broadcast elements, which onnxruntime's
 *   vectorised float32 ReduceSum gets 1.5e-4 wrong, and SDMLLoss distances near 1e4, a
 *   few float32 ulps off MXNet's compensated sum, which log_softmax turns into 1e-3 of a
 *   gradient (onnx-node and onnx-wasm sum them in float64).
 *
 * Used by export-golden-models.mjs (for onnx_export_check.py) and test/export.test.ts.
 */
import { bitExactOnly, parseConfig, planCall } from '@gluon-loss/spec';

const FLOAT32_SUMS_OFF = new Set(['KLDivLoss/diff-1-119', 'KLDivLoss/diff-1-119-wasm', 'SDMLLoss/diff-1-88']);

function overflowsOnlyInFloat32(c) {
  const pairs = [[c.expectedLoss, c.ref64?.loss]];
  for (const name in c.expectedGrads) pairs.push([c.expectedGrads[name], c.ref64?.grads[name]]);
  return pairs.some(
    ([mx, ref]) =>
      ref !== undefined &&
      mx.data.some((v, i) => (v === Infinity || v === -Infinity ? Number.isFinite(ref.data[i]) : false)),
  );
}

/** Whether an exported model is held to this golden call case (a decoded GoldenCall). */
export function heldAgainstExport(c) {
  const plan = planCall(c.loss, parseConfig(c.loss, c.config), c.inputs);
  return bitExactOnly(plan, 'exportOnnx').supported && !overflowsOnlyInFloat32(c) && !FLOAT32_SUMS_OFF.has(c.name);
}
