/**
 * onnx-wasm's runtime. In a browser, `onnxruntime-web/wasm`: the build that carries the
 * plain wasm binary (`ort-wasm-simd-threaded.wasm`, 14 MB, which a bundler emits as an
 * asset of its own `new URL(..., import.meta.url)`). In Node, the package's "node" export,
 * which reads its wasm from disk, through a specifier a bundler does not follow.
 */
import { currentEnvironment } from '@gluon-loss/spec';
import { importNodeOnly, type OrtModule } from '../runtime.js';

export async function importOrtWasm(): Promise<OrtModule> {
  if (currentEnvironment() === 'node') return importNodeOnly<OrtModule>('onnxruntime-web');
  return (await import('onnxruntime-web/wasm')) as OrtModule;
}
