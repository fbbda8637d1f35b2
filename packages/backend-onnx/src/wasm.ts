/**
 * onnx-wasm alone: onnxruntime-web's wasm EP (Node and browser). The conformance CLI takes its default export
 * (`--backend ./packages/backend-onnx/dist/wasm.js`); a bundled app that wants this variant
 * only hands the router this entry, so that its bundle holds this variant's runtime and
 * no other: `provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx/wasm'))`.
 */
import { onnxBackendOn, type OnnxBackend } from './backend.js';
import { importOrtWasm } from './ort/wasm.js';
import { onlyVariant, type OnnxBackendOptions, type OnnxVariant } from './runtime.js';

const importOrt = onlyVariant('wasm', importOrtWasm, '@gluon-loss/backend-onnx/wasm');

/** `createOnnxBackend` of the main entry, for onnx-wasm; another variant is unavailable, saying which entry brings it. */
export function createOnnxBackend(variant: OnnxVariant, options: OnnxBackendOptions = {}): OnnxBackend {
  return onnxBackendOn(importOrt, variant, options);
}

export default createOnnxBackend('wasm');
