/**
 * onnx-webgpu alone: onnxruntime-web's WebGPU EP (browser only). The conformance CLI takes its default export
 * (`--backend ./packages/backend-onnx/dist/webgpu.js`); a bundled app that wants this variant
 * only hands the router this entry, so that its bundle holds this variant's runtime and
 * no other: `provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx/webgpu'))`.
 */
import { onnxBackendOn, type OnnxBackend } from './backend.js';
import { importOrtWebgpu } from './ort/webgpu.js';
import { onlyVariant, type OnnxBackendOptions, type OnnxVariant } from './runtime.js';

const importOrt = onlyVariant('webgpu', importOrtWebgpu, '@gluon-loss/backend-onnx/webgpu');

/** `createOnnxBackend` of the main entry, for onnx-webgpu; another variant is unavailable, saying which entry brings it. */
export function createOnnxBackend(variant: OnnxVariant, options: OnnxBackendOptions = {}): OnnxBackend {
  return onnxBackendOn(importOrt, variant, options);
}

export default createOnnxBackend('webgpu');
