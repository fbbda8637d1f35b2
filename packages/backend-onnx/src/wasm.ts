/** `--backend ./packages/backend-onnx/dist/wasm.js`: onnxruntime-web's wasm EP (Node and browser). */
import { createOnnxBackend } from './backend.js';

export default createOnnxBackend('wasm');
