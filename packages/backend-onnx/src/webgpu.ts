/** `--backend ./packages/backend-onnx/dist/webgpu.js`: onnxruntime-web's WebGPU EP (browser only). */
import { createOnnxBackend } from './backend.js';

export default createOnnxBackend('webgpu');
