/** The tfjs-webgl backend, as a module whose default export is a Backend (`--backend .../dist/webgl.js`). */
import { createTfjsBackend } from './backend.js';

export default createTfjsBackend('webgl');
