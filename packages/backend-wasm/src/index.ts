/**
 * gluon-loss's WebAssembly backend: the losses of MXNet 1.9.1's gluon.loss as fused
 * SIMD128 kernels compiled from C (kernels/), one pass per loss and mode. No dependency
 * but the spec and no static Node import, so the same module runs in Node and in a browser.
 */
export { createWasmBackend, defaultThreads, type WasmBackend, type WasmBackendOptions } from './wasm-backend.js';
export { RELEASE_ABOVE_BYTES, WASM32_MAX_BYTES, WASM_BACKEND_NAME, WASM_MT_BACKEND_NAME } from './kernels.js';
export { THREAD_THRESHOLD } from './elementwise-loss.js';
import { createWasmBackend } from './wasm-backend.js';

/** A ready backend, so that `--backend ./packages/backend-wasm/dist/index.js` works. */
const wasmBackend = createWasmBackend();
export default wasmBackend;
