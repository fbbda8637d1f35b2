import { onnxBackendOn, type OnnxBackend } from './backend.js';
import { importAnyOrt } from './ort/any.js';
import type { OnnxBackendOptions, OnnxVariant } from './runtime.js';

export { ONNX_VARIANTS, graphOptionsFor, type OnnxBackend } from './backend.js';

/**
 * The Backend of one onnxruntime variant, any of the three. A bundle of this entry holds
 * both onnxruntime-web builds (wasm and webgpu, 41 MB of assets); `@gluon-loss/backend-onnx/wasm`
 * and `/webgpu` export the same function with one build each.
 */
export function createOnnxBackend(variant: OnnxVariant, options: OnnxBackendOptions = {}): OnnxBackend {
  return onnxBackendOn(importAnyOrt, variant, options);
}
export { OnnxCompiledLoss } from './compiled-loss.js';
export type { OnnxBackendOptions, OnnxVariant, SessionEvent } from './runtime.js';
export type { CtcRecursion, GraphMode, LossGraphOptions } from './loss-graph.js';
export { buildLossGraph } from './loss-graph.js';
export { GraphBuilder, attr, OPSET_VERSION, type Attribute, type ElementType, type Value } from './graph/onnx-graph.js';
export { GraphOps, type GraphOpsOptions, type TapeEntry, type VectorJacobianProduct } from './graph/ops.js';
export { gradients } from './graph/autodiff.js';
export {
  exportOnnx,
  type ExportInputShape,
  type OnnxExport,
  type OnnxExportBatch,
  type OnnxExportOptions,
} from './export.js';
