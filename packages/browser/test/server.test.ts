import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHarnessServer } from '../src/index.js';

describe('the harness server', () => {
  const root = mkdtempSync(join(tmpdir(), 'harness-root-'));
  writeFileSync(join(root, 'index.html'), '<p>page</p>');

  it('serves a page folder given with or without a trailing slash, with isolation headers', async () => {
    for (const r of [root, `${root}/`]) {
      const server = await startHarnessServer({ root: r });
      try {
        const res = await fetch(server.url);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('<p>page</p>');
        expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      } finally {
        await server.close();
      }
    }
  });

  it('serves the golden index and the wasm binaries from the installed packages', async () => {
    const server = await startHarnessServer({ root });
    try {
      const index = (await (await fetch(`${server.url}golden/index.json`)).json()) as string[];
      expect(index).toContain('CTCLoss.json');
      expect((await fetch(`${server.url}wasm/tfjs/tfjs-backend-wasm-simd.wasm`)).headers.get('content-type')).toBe(
        'application/wasm',
      );
      expect((await fetch(`${server.url}wasm/ort/ort-wasm-simd-threaded.wasm`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('never serves a file outside its folders', async () => {
    const server = await startHarnessServer({ root });
    try {
      // raw request paths: fetch() would normalise the dots away before sending
      const { port } = new URL(server.url);
      const status = (path: string) =>
        new Promise<number>((ok, fail) =>
          get({ host: '127.0.0.1', port, path }, (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          }).on('error', fail),
        );
      for (const path of [
        '/../package.json',
        '/%2e%2e/%2e%2e/package.json',
        '/golden/../../../package.json',
        '/wasm/tfjs/../../package.json',
      ]) {
        expect(await status(path), path).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});
