/**
 * An outside backend written from the READMEs alone (the worked example of
 * @gluon-loss/spec's README) passes conformance through `npx -p` of the packed
 * conformance tarball, in an empty folder outside the workspace: in Node, and in headless
 * Chromium (`--browser`, with playwright-core from the registry). The loss it implements
 * passes; every other loss is one "not implemented" line. Called by scripts/test-packed.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const OTHER_LOSSES = 13; // the 14 losses of gluon.loss but L2Loss
const PLAYWRIGHT_CORE = 'playwright-core@1.65.1'; // @gluon-loss/conformance's optional peer

/**
 * `root`: the workspace; `work`: the folder the packed projects live in; `tarballOf(name)`:
 * the packed tarball of a published package.
 */
export function testOutsideBackend({ root, work, tarballOf }) {
  const readme = readFileSync(join(root, 'packages/spec/README.md'), 'utf8');
  const example = /```js\n([\s\S]*?)```/.exec(readme)[1];
  // The unpublished dependencies come as tarballs too; from a registry `-p @gluon-loss/conformance` would do.
  const packages = [
    '@gluon-loss/conformance',
    '@gluon-loss/golden',
    '@gluon-loss/spec',
    '@gluon-loss/backends',
    '@gluon-loss/backend-ts',
    '@gluon-loss/backend-wasm',
  ].map(tarballOf);

  /** Runs the CLI through npx in a fresh empty folder; returns its exit status, output and JSON report. */
  function npxConformance(name, extraPackages, args) {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'my-l2.mjs'), example);
    const t0 = Date.now();
    const p = [...packages, ...extraPackages].flatMap((pkg) => ['-p', pkg]);
    // The example rounds once (float64 inside); the `ieee-*` cases need MXNet's float32
    // steps (packages/conformance/test/spec-readme-backend.test.ts says more).
    const cli = ['gluon-conformance', '--backend', './my-l2.mjs', '--filter', '*/!(ieee-*)', '--json', 'report.json'];
    const result = spawnSync('npx', ['--yes', ...p, ...cli, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: join(work, 'npx-cache'), npm_config_prefer_offline: 'true' },
    });
    console.log(`${name}: npx -p and the run ${Date.now() - t0} ms`);
    const output = `${result.stdout}\n${result.stderr}`;
    assert.ok(existsSync(join(dir, 'report.json')), `no report from npx in ${dir}:\n${output}`);
    assert.equal(existsSync(join(dir, 'node_modules')), false, 'the folder stays empty');
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, report: readJson(dir) };
  }

  function readJson(dir) {
    return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  }

  function assertPassesL2Only({ status, stdout, stderr, report }, runtime) {
    assert.ok(report.environment.runtime.startsWith(runtime), report.environment.runtime);
    assert.deepEqual(report.backends, [{ name: 'my-l2', available: true }]);
    const l2 = report.results.filter((r) => r.loss === 'L2Loss');
    assert.ok(l2.length > 20, `${l2.length} L2Loss cases`);
    assert.deepEqual(
      l2.filter((r) => r.status !== 'pass').map((r) => `${r.case}: ${r.message}`),
      [],
    );
    // The other losses: calls are gaps it declares, rejections of bad configs are right.
    const others = report.results.filter((r) => r.loss !== 'L2Loss');
    assert.deepEqual(
      others.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.case),
      [],
    );
    assert.match(stdout, /^L2Loss +(\d+) of \1 forward, (\d+) of \2 gradient$/m);
    assert.equal(stdout.match(/^\w+ +not implemented/gm)?.length, OTHER_LOSSES, stdout);
    const gaps = stderr.split('\n').filter((l) => l.includes('not implemented'));
    assert.equal(gaps.length, OTHER_LOSSES, stderr);
    for (const line of gaps) assert.match(line, /^my-l2 \w+: not implemented \(\d+ cases\): only L2Loss$/);
    assert.doesNotMatch(stderr, /: (fail|error): /);
    // Losses not implemented fail the run (exit 1), and nothing else does.
    assert.equal(status, 1, `${stdout}\n${stderr}`);
  }

  test('an outside backend (the spec README example) passes conformance via npx -p in Node, in an empty folder', () => {
    assertPassesL2Only(npxConformance('outside-author-node', [], []), 'node');
  });

  test('the same backend passes via npx -p in headless Chromium (--browser), with playwright-core beside it', () => {
    const run = npxConformance('outside-author-chromium', [PLAYWRIGHT_CORE], ['--browser']);
    assert.match(run.stdout, /golden cases from .* in .*HeadlessChrome/);
    assertPassesL2Only(run, 'browser');
  });
}
