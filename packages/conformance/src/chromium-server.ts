/**
 * The static server of `gluon-conformance --browser`, on 127.0.0.1: the bundled page, the
 * golden folder, each backend module's folder, and the spec shim that re-exports the
 * page's copy of `@gluon-loss/spec` to those modules. Paths never leave their folder. The
 * page is cross-origin isolated, so a module may run wasm threads.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { CHROMIUM_PAGE_PATHS, PAGE_SPEC_GLOBAL } from './chromium-protocol.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/**
 * Headers every response of the page servers carries: they make the page cross-origin
 * isolated (`crossOriginIsolated`, SharedArrayBuffer), which wasm threads need
 * (wasm-simd-mt's Web Workers on a shared memory). Everything a page loads comes from the
 * same origin, so COEP's `require-corp` blocks nothing (tfjs and onnxruntime-web load
 * their wasm from there too); CORP says so for each response.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Answers a GET of `path` with the file it names: under the first mount whose URL prefix
 * it starts with (prefix and folder), else under `root` (`/` is `/index.html`). A path
 * that would leave its folder, or names no file, is a 404.
 */
export function sendMountedFile(
  res: ServerResponse,
  path: string,
  root: string,
  mounts: readonly (readonly [prefix: string, dir: string | undefined])[],
): void {
  let base = resolve(root);
  let rest = path === '/' ? '/index.html' : path;
  for (const [prefix, dir] of mounts) {
    if (dir !== undefined && path.startsWith(prefix)) {
      base = resolve(dir);
      rest = path.slice(prefix.length - 1);
      break;
    }
  }
  const file = normalize(join(base, rest));
  if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.statusCode = 404;
    res.end('not found');
    return;
  }
  res.setHeader('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
  createReadStream(file).pipe(res);
}

export interface ChromiumPageServer {
  readonly url: string;
  /** Sets the names the spec shim re-exports (the page tells them once it has loaded). */
  setSpecExports(names: readonly string[]): void;
  close(): Promise<void>;
}

/** `export const { a, b } = globalThis.__gluonLossSpec;`: the page's own classes and functions. */
export function specShimSource(names: readonly string[]): string {
  const valid = names.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
  return `const spec = globalThis.${PAGE_SPEC_GLOBAL};\nexport const { ${valid.join(', ')} } = spec;\n`;
}

export async function startChromiumPageServer(options: {
  readonly pageDir: string;
  readonly goldenDir: string;
  /** Folder of each backend module, served under /backend/<index>/. */
  readonly moduleDirs: readonly string[];
}): Promise<ChromiumPageServer> {
  if (!existsSync(join(options.pageDir, 'index.html')))
    throw new Error(`no bundled page in ${options.pageDir}: the package is not built`);
  const goldenIndex = JSON.stringify(
    readdirSync(options.goldenDir)
      .filter((f) => f.endsWith('.json'))
      .sort(),
  );
  const mounts: [string, string][] = [
    [CHROMIUM_PAGE_PATHS.golden, options.goldenDir],
    ...options.moduleDirs.map((dir, i): [string, string] => [`${CHROMIUM_PAGE_PATHS.backend}${i}/`, dir]),
  ];
  let shim: string | undefined;

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    for (const [header, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(header, value);
    res.setHeader('Cache-Control', 'no-store');
    if (path === `${CHROMIUM_PAGE_PATHS.golden}index.json` || path === CHROMIUM_PAGE_PATHS.specShim) {
      const body = path === CHROMIUM_PAGE_PATHS.specShim ? shim : goldenIndex;
      if (body === undefined) {
        res.statusCode = 503; // the shim is asked for only after the page has said what the spec exports
        res.end('the page has not loaded yet');
        return;
      }
      res.setHeader('Content-Type', MIME[extname(path)]!);
      res.end(body);
      return;
    }
    sendMountedFile(res, path, options.pageDir, mounts);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    setSpecExports: (names) => {
      shim = specShimSource(names);
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
