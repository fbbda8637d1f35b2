import { defineConfig } from 'vite';

// The page of `gluon-conformance --browser` (the runner and the spec, bundled) goes into
// dist-page/, which ships in the package; authors' modules are served beside it as they are.
export default defineConfig({
  root: 'page',
  base: './',
  logLevel: 'warn',
  build: { outDir: '../dist-page', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
