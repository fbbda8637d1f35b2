export { ONNX_VARIANTS, createOnnxBackend, graphOptionsFor, type OnnxBackend } from './backend.js';
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
