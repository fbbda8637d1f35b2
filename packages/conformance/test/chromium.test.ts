/**
 * `gluon-conformance --browser` in headless Chromium: an outside backend module (the spec
 * README's worked example) is imported as it is, its `@gluon-loss/spec` is the page's one
 * copy, and `--golden` folders are served in place of the shipped ones.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformanceInChromium } from '../src/chromium.js';
import { formatTable, summarizeUnsupported } from '../src/index.js';

const readme = readFileSync(new URL('../../spec/README.md', import.meta.url), 'utf8');
const example = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
const goldenDir = fileURLToPath(new URL('../../../conformance/golden/', import.meta.url));
// Outside the workspace, with no node_modules: only the page can resolve its imports.
const dir = mkdtempSync(join(tmpdir(), 'gluon-chromium-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, source: string): string => {
  writeFileSync(join(dir, name), source);
  return join(dir, name);
};

describe('gluon-conformance in Chromium', () => {
  it("runs the spec README's backend: L2Loss passes, the others are one 'not implemented' line each", async () => {
    const file = write('my-l2.mjs', example);
    // The example rounds once (float64 inside); the ieee-* cases need MXNet's float32 steps.
    const { report, console: lines } = await runConformanceInChromium({
      modules: [file],
      filter: ['L2Loss/!(ieee-*)', 'HingeLoss', 'CTCLoss'],
    });
    expect(report.environment.userAgent).toContain('HeadlessChrome');
    expect(lines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
    expect(report.backends).toEqual([{ name: 'my-l2', available: true }]);
    const l2 = report.results.filter((r) => r.loss === 'L2Loss');
    expect(l2.length).toBeGreaterThan(20);
    expect(l2.filter((r) => r.status !== 'pass').map((r) => `${r.case}: ${r.message ?? ''}`)).toEqual([]);
    const table = formatTable(report);
    expect(table).toMatch(/^L2Loss +(\d+) of \1 forward, (\d+) of \2 gradient$/m);
    expect(table).toMatch(/^HingeLoss +not implemented/m);
    expect(summarizeUnsupported(report.results)).toEqual([
      expect.stringMatching(/^my-l2 CTCLoss: not implemented \(\d+ cases\): only L2Loss$/),
      expect.stringMatching(/^my-l2 HingeLoss: not implemented \(\d+ cases\): only L2Loss$/),
    ]);
  });

  it("gives the module the page's own @gluon-loss/spec (its classes are the runner's)", async () => {
    const file = write(
      'identity.mjs',
      `import { UnsupportedError, planCall } from '@gluon-loss/spec';
const page = globalThis.__gluonLossSpec;
const same = page.UnsupportedError === UnsupportedError && page.planCall === planCall;
export default {
  name: 'identity',
  environments: ['browser'],
  probe: async () => (same ? { available: true } : { available: false, reason: 'a second copy of @gluon-loss/spec' }),
  supports: () => ({ supported: false, reason: 'nothing' }),
  compile: async (loss) => { throw new UnsupportedError('identity', loss, 'nothing'); },
};
`,
    );
    const { report } = await runConformanceInChromium({ modules: [file], filter: ['L1Loss'] });
    expect(report.backends).toEqual([{ name: 'identity', available: true }]);
  });

  it('serves the page cross-origin isolated, so a module may share memory with workers', async () => {
    const file = write(
      'isolated.mjs',
      `export default {
  name: 'isolated',
  environments: ['browser'],
  probe: async () =>
    globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function'
      ? { available: true }
      : { available: false, reason: 'crossOriginIsolated is ' + String(globalThis.crossOriginIsolated) },
  supports: () => ({ supported: false, reason: 'nothing' }),
  compile: async () => { throw new Error('nothing'); },
};
`,
    );
    const { report } = await runConformanceInChromium({ modules: [file], filter: ['L1Loss'] });
    expect(report.backends).toEqual([{ name: 'isolated', available: true }]);
  });

  it('serves a --golden folder in place of the shipped goldens', async () => {
    const golden = join(dir, 'golden');
    mkdirSync(golden);
    copyFileSync(join(goldenDir, 'HingeLoss.json'), join(golden, 'HingeLoss.json'));
    const { report } = await runConformanceInChromium({ modules: [write('my-l2.mjs', example)], goldenDir: golden });
    expect(new Set(report.results.map((r) => r.loss))).toEqual(new Set(['HingeLoss']));
    expect(report.results.length).toBe(JSON.parse(readFileSync(join(golden, 'HingeLoss.json'), 'utf8')).cases.length);
  });

  it('reports a module that cannot load as an unavailable backend, with the reason', async () => {
    const bare = write('bare.mjs', `import 'left-pad';\nexport default {};\n`);
    const notBackend = write('not-a-backend.mjs', `export default { name: 'half' };\n`);
    const { report } = await runConformanceInChromium({ modules: [bare, notBackend], filter: ['L1Loss'] });
    expect(report.backends.map((b) => b.available)).toEqual([false, false]);
    expect(report.backends[0]!.reason).toMatch(/cannot import .*bare\.mjs.*left-pad.*bundle any other package into it/);
    expect(report.backends[1]!.reason).toMatch(/its default export is not a Backend/);
  });
});
