/**
 * onnx-webgpu's runtime: `onnxruntime-web/webgpu`, the build that carries the asyncify
 * wasm binary (`ort-wasm-simd-threaded.asyncify.wasm`, 27 MB, emitted by a bundler from
 * its own `new URL(..., import.meta.url)`). Browser only.
 */
import { currentEnvironment } from '@gluon-loss/spec';
import type { OrtModule } from '../runtime.js';

export async function importOrtWebgpu(): Promise<OrtModule> {
  if (currentEnvironment() !== 'browser')
    throw new Error('onnx-webgpu runs only in a browser (the WebGPU EP of onnxruntime-web)');
  return (await import('onnxruntime-web/webgpu')) as OrtModule;
}
