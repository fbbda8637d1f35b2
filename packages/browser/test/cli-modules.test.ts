/**
 * The harness CLI with a built-in backend, an outside backend module (the spec README's
 * worked example) and a --golden folder: one table over both, from those goldens only.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceReport } from '@gluon-loss/conformance';
import { afterAll, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const readme = readFileSync(new URL('../../spec/README.md', import.meta.url), 'utf8');
const goldenDir = fileURLToPath(new URL('../../../conformance/golden/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gluon-harness-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs ts and ./my-l2.mjs on the goldens of --golden, in one report', () => {
  writeFileSync(join(dir, 'my-l2.mjs'), /```js\n([\s\S]*?)```/.exec(readme)![1]!);
  mkdirSync(join(dir, 'golden'));
  for (const f of ['L2Loss.json', 'HingeLoss.json']) copyFileSync(join(goldenDir, f), join(dir, 'golden', f));
  let stdout = '';
  try {
    execFileSync(
      process.execPath,
      [
        cli,
        '-b',
        'ts',
        '-b',
        './my-l2.mjs',
        '-g',
        './golden',
        '-f',
        'L2Loss/!(ieee-*)',
        '-f',
        'HingeLoss',
        '--json',
        'r.json',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
  } catch (e) {
    // my-l2 does not implement HingeLoss: the run fails (exit 1), and says why
    expect((e as { status: number }).status).toBe(1);
    stdout = (e as { stdout: string }).stdout;
    expect((e as { stderr: string }).stderr).toMatch(/^my-l2 HingeLoss: not implemented \(\d+ cases\): only L2Loss$/m);
  }
  expect(stdout).toMatch(/^L2Loss +(\d+) of \1 forward, (\d+) of \2 gradient +\1 of \1 forward, \2 of \2 gradient$/m);
  expect(stdout).toMatch(/^HingeLoss +(\d+) of \1 forward, (\d+) of \2 gradient +not implemented/m);
  const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as ConformanceReport;
  expect(report.backends).toEqual([
    { name: 'ts', available: true },
    { name: 'my-l2', available: true },
  ]);
  expect(new Set(report.results.map((r) => r.loss))).toEqual(new Set(['L2Loss', 'HingeLoss']));
  expect(report.results.filter((r) => r.status === 'fail' || r.status === 'error')).toEqual([]);
});
