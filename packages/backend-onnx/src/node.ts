/** `--backend ./packages/backend-onnx/dist/node.js`: onnxruntime-node's native CPU EP (Node only). */
import { createOnnxBackend } from './backend.js';

export default createOnnxBackend('node');
