import { defineConfig } from 'vite';

// The bench page, bundled from the real packages into dist/page/ (inside dist/, so that
// turbo caches it and lint skips it), which the browser harness's server serves on
// 127.0.0.1 with the wasm binaries beside it.
export default defineConfig({
  root: 'page',
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../dist/page',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    sourcemap: false,
  },
});
