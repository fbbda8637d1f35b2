/**
 * A ready wasm-simd-mt backend (default threads), so that a backend module path works for
 * it as for wasm-simd: `gluon-conformance [--browser] --backend
 * ./packages/backend-wasm/dist/mt.js`. In a page that is not cross-origin isolated its
 * probe says so (and the router runs wasm-simd instead).
 */
import { createWasmBackend, defaultThreads } from './wasm-backend.js';

const wasmMtBackend = createWasmBackend({ threads: await defaultThreads() });
export default wasmMtBackend;
