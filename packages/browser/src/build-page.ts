/** Bundles a page folder with Vite, as an application would bundle the packages it imports. */
import { build } from 'vite';

export async function buildPage(root: string, outDir: string): Promise<void> {
  await build({
    root,
    base: './',
    logLevel: 'warn',
    configFile: false,
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, sourcemap: false },
  });
}
