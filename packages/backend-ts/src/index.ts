/**
 * gluon-loss's pure TypeScript backend: the 14 losses of MXNet 1.9.1's gluon.loss as
 * fused loops over typed arrays. No dependency but the spec, no Node API, so the same
 * module runs in Node and in a browser.
 */
export { createTsBackend } from './ts-backend.js';
import { createTsBackend } from './ts-backend.js';

/** A ready backend, so that `--backend ./packages/backend-ts/dist/index.js` works. */
const tsBackend = createTsBackend();
export default tsBackend;
