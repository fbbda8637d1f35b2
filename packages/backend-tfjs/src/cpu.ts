/** The tfjs-cpu backend, as a module whose default export is a Backend (`--backend .../dist/cpu.js`). */
import { createTfjsBackend } from './backend.js';

export default createTfjsBackend('cpu');
