/**
 * onnx-node alone: onnxruntime-node's native CPU EP (Node only). The conformance CLI takes its default export
 * (`--backend ./packages/backend-onnx/dist/node.js`); a bundled app that wants this variant
 * only hands the router this entry, so that its bundle holds this variant's runtime and
 * no other: `provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx/node'))`.
 */
import { onnxBackendOn, type OnnxBackend } from './backend.js';
import { importOrtNode } from './ort/node.js';
import { onlyVariant, type OnnxBackendOptions, type OnnxVariant } from './runtime.js';

const importOrt = onlyVariant('node', importOrtNode, '@gluon-loss/backend-onnx/node');

/** `createOnnxBackend` of the main entry, for onnx-node; another variant is unavailable, saying which entry brings it. */
export function createOnnxBackend(variant: OnnxVariant, options: OnnxBackendOptions = {}): OnnxBackend {
  return onnxBackendOn(importOrt, variant, options);
}

export default createOnnxBackend('node');
