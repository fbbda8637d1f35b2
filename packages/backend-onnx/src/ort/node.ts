/** onnx-node's runtime: onnxruntime-node, a native addon, through a specifier a bundler does not follow. */
import { currentEnvironment } from '@gluon-loss/spec';
import { importNodeOnly, type OrtModule } from '../runtime.js';

export async function importOrtNode(): Promise<OrtModule> {
  if (currentEnvironment() !== 'node')
    throw new Error('onnx-node runs only in Node.js (onnxruntime-node is a native addon)');
  return importNodeOnly<OrtModule>('onnxruntime-node');
}
