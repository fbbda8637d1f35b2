/** The tfjs-webgpu backend, as a module whose default export is a Backend (`--backend .../dist/webgpu.js`). */
import { createTfjsBackend } from './backend.js';

export default createTfjsBackend('webgpu');
