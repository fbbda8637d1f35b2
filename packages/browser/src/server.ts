/**
 * A static server on 127.0.0.1 for the harness page: the bundled page, the golden files,
 * and the wasm binaries straight from the installed packages (nothing is downloaded).
 * Cross-origin isolation headers are set so wasm threads (SharedArrayBuffer) can work.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CROSS_ORIGIN_ISOLATION_HEADERS, sendMountedFile } from '@gluon-loss/conformance/chromium';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import { HARNESS_PATHS } from './protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
export const pageDir = resolve(here, '..', 'dist-page');

/** Resolves `target` as the package at the end of `chain` sees it (pnpm keeps dependencies private). */
function resolveThrough(chain: readonly string[], target: string): string {
  let from = import.meta.url;
  // each package's main entry (our packages export no package.json)
  for (const pkg of chain) from = createRequire(from).resolve(pkg);
  return createRequire(from).resolve(target);
}

function packageDir(chain: readonly string[], file: string): string | undefined {
  try {
    return dirname(resolveThrough(chain, file));
  } catch {
    return undefined;
  }
}

export interface HarnessServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface HarnessServerOptions {
  readonly root?: string;
  readonly goldenDir?: string;
  /** Send the cross-origin isolation headers (default true; false shows a page without them). */
  readonly crossOriginIsolated?: boolean;
}

export async function startHarnessServer(options: HarnessServerOptions = {}): Promise<HarnessServer> {
  const root = resolve(options.root ?? pageDir); // no trailing separator: paths are checked to stay inside it
  if (!existsSync(join(root, 'index.html'))) throw new Error(`no bundled page in ${root}: run \`pnpm build\` first`);
  const goldenDir = options.goldenDir ?? defaultGoldenDir;
  const isolated = options.crossOriginIsolated ?? true;
  const mounts: [string, string | undefined][] = [
    [HARNESS_PATHS.golden, goldenDir],
    [
      HARNESS_PATHS.tfjsWasm,
      packageDir(
        ['@gluon-loss/backends', '@gluon-loss/backend-tfjs'],
        '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
      ),
    ],
    // onnxruntime-web's entry point and its .wasm binaries share its dist/ folder
    [HARNESS_PATHS.ortWasm, packageDir(['@gluon-loss/backends', '@gluon-loss/backend-onnx'], 'onnxruntime-web')],
  ];
  const goldenIndex = JSON.stringify(
    readdirSync(goldenDir)
      .filter((f) => f.endsWith('.json'))
      .sort(),
  );

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (isolated)
      for (const [header, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(header, value);
    res.setHeader('Cache-Control', 'no-store');
    if (path === `${HARNESS_PATHS.golden}index.json`) {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(goldenIndex);
      return;
    }
    sendMountedFile(res, path, root, mounts);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the harness server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
