import { defineConfig } from 'vite';

// The harness page is bundled from the real packages (as an application would bundle
// them) into dist-page/, which the harness server serves on 127.0.0.1.
export default defineConfig({
  root: 'page',
  base: './',
  logLevel: 'warn',
  build: { outDir: '../dist-page', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, sourcemap: false },
});
