/**
 * The worked example of @gluon-loss/spec's README, an outside backend written from the
 * READMEs alone, runs as written and passes every L2Loss golden case of MXNet 1.9.1; the
 * other losses' calls are unsupported (a gap it declares), never failed.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTable, runConformance, summarizeUnsupported } from '../src/index.js';
import { loadBackendSpecifier, readGoldenDir } from '../src/node.js';

const readme = readFileSync(new URL('../../spec/README.md', import.meta.url), 'utf8');
const example = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
// Inside this package, so that its import of @gluon-loss/spec resolves as an author's would.
const file = fileURLToPath(new URL('./spec-readme-backend.tmp.mjs', import.meta.url));

afterAll(() => rmSync(file, { force: true }));

describe("the spec README's worked example", () => {
  it('is about 40 lines', () => {
    expect(example.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(60);
  });

  // The example computes in float64 and rounds once, as a first backend would; the
  // `ieee-*` cases pin where MXNet's float32 intermediates overflow, which takes float32
  // arithmetic step by step (backend-ts does it), so they are left out here.
  it('passes every L2Loss golden case but the float32-overflow ones, and declares the other losses unsupported', async () => {
    writeFileSync(file, example);
    const backend = await loadBackendSpecifier(file);
    const all = readGoldenDir();
    const suite = { ...all, cases: all.cases.filter((c) => !/\/ieee-/.test(c.name)) };
    const report = await runConformance({ backends: [backend], suite });
    const l2 = report.results.filter((r) => r.loss === 'L2Loss');
    expect(l2.length).toBe(suite.cases.filter((c) => c.loss === 'L2Loss').length);
    expect(l2.filter((r) => r.status !== 'pass').map((r) => `${r.case}: ${r.status} ${r.message ?? ''}`)).toEqual([]);
    const others = report.results.filter((r) => r.loss !== 'L2Loss');
    expect(others.length).toBeGreaterThan(0);
    // Its calls are gaps; a case MXNet rejects for a bad config is rejected by parseConfig first.
    expect(new Set(others.filter((r) => r.kind === 'call').map((r) => r.status))).toEqual(new Set(['unsupported']));
    expect(others.filter((r) => r.status === 'fail' || r.status === 'error')).toEqual([]);
    // What the author reads: the table's cells in words, one line per loss not implemented.
    expect(formatTable(report)).toMatch(/^L2Loss +(\d+) of \1 forward, (\d+) of \2 gradient$/m);
    expect(formatTable(report)).toMatch(/^SoftmaxCrossEntropyLoss +not implemented$/m);
    const gaps = summarizeUnsupported(report.results);
    expect(gaps).toHaveLength(13);
    for (const line of gaps) expect(line).toMatch(/^my-l2 \w+: not implemented \(\d+ cases\): only L2Loss$/);
  });
});
