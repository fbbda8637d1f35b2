/** The tfjs-wasm backend, as a module whose default export is a Backend (`--backend .../dist/wasm.js`). */
import { createTfjsBackend } from './backend.js';

export default createTfjsBackend('wasm');
