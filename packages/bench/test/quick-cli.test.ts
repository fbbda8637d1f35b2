/**
 * The CI command on a tiny grid: `gluon-bench --quick --filter` on the ts backend writes
 * one valid results file with the MXNet, tfjs built-in and roofline anchors beside it.
 * Needs the built CLI (turbo builds before testing) and the repo's .venv with MXNet
 * (scripts/setup.sh); timings are checked for presence, never for value.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResultsFile, type BenchResults } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '..', 'dist', 'cli.js');

describe('gluon-bench --quick --filter on the ts backend', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  let results: BenchResults;
  let stdout: string;
  let files: string[];

  beforeAll(() => {
    expect(existsSync(cli), `${cli} (run the build first)`).toBe(true);
    stdout = execFileSync(
      process.execPath,
      [cli, '--quick', '--filter', 'L2Loss/*/ts', '--filter', 'SoftmaxCELoss/*/ts', '--out', out, '--quiet'],
      {
        encoding: 'utf8',
      },
    );
    files = readdirSync(out);
    results = readResultsFile(join(out, files[0]!));
  });

  it('writes one results file named by its UTC start time', () => {
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
    expect(files[0]).toBe(`${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
    expect(stdout).toContain(`results written to ${join(out, files[0]!)}`);
  });

  it('times the quick grid of the selected losses on ts, both modes', () => {
    expect(results.quick).toBe(true);
    const got = results.cells.map((c) => `${c.backend} ${c.loss} ${c.size} ${c.mode} ${c.status}`).sort();
    const want = ['L2Loss 32x32', 'L2Loss 256x256', 'SoftmaxCrossEntropyLoss 64x10', 'SoftmaxCrossEntropyLoss 256x100']
      .flatMap((c) => [`ts ${c} forward ok`, `ts ${c} forwardBackward ok`])
      .sort();
    expect(got).toEqual(want);
    for (const c of results.cells) {
      expect(c.medianMs).toBeGreaterThan(0);
      expect(c.minMs!).toBeLessThanOrEqual(c.medianMs!);
      expect(c.maxMs!).toBeGreaterThanOrEqual(c.medianMs!);
      expect(c.firstCallMs).toBeGreaterThan(0);
    }
  });

  it('has MXNet timed on every cell of the grid', () => {
    const mx = results.reference.mxnet;
    expect(mx.status, mx.reason).toBe('ok');
    expect(results.versions.mxnet).toBe('1.9.1');
    const key = (c: { loss: string; size: string; mode: string }) => `${c.loss} ${c.size} ${c.mode}`;
    expect(mx.cells.map(key).sort()).toEqual(results.cells.map(key).sort());
    expect(mx.cells.every((c) => c.status === 'ok' && c.backend === 'mxnet')).toBe(true);
  });

  it("has tfjs's built-in equivalents timed on each Node tfjs backend", () => {
    const builtin = results.reference.tfjsBuiltin.cells;
    for (const backend of ['tfjs-cpu', 'tfjs-wasm']) {
      const mine = builtin.filter((c) => c.backend === backend);
      expect(mine).toHaveLength(8);
      expect(mine.every((c) => c.status === 'ok')).toBe(true);
    }
    expect(builtin.find((c) => c.loss === 'L2Loss')!.builtin).toBe('tf.losses.meanSquaredError');
    expect(builtin.find((c) => c.loss === 'SoftmaxCrossEntropyLoss')!.builtin).toBe('tf.losses.softmaxCrossEntropy');
  });

  it('has a roofline entry for the bytes of every cell, and every ratio computed', () => {
    for (const c of results.cells) {
      const roof = results.reference.roofline.find((r) => r.bytes === c.bytes);
      expect(roof, `${c.loss} ${c.size} ${c.mode}`).toBeDefined();
      expect(roof!.gbPerS).toBeGreaterThan(0);
      expect(c.ratios!.mxnet).toBeGreaterThan(0);
      expect(c.ratios!.roofline).toBeGreaterThan(0);
      expect(Object.keys(c.ratios!.tfjsBuiltin).sort()).toEqual(['tfjs-cpu', 'tfjs-wasm']);
    }
  });

  it('records the machine and the versions', () => {
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.versions['@gluon-loss/spec']).toBeDefined();
    expect(results.versions['@tensorflow/tfjs']).toBe('4.22.0');
    expect(results.versions.tinybench).toBe('6.2.5');
  });

  it('exits 2 when the filter selects nothing', () => {
    const r = spawnSync(
      process.execPath,
      [cli, '--quick', '--filter', 'NoSuchLoss', '--out', out, '--quiet', '--no-mxnet'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no cell matches "NoSuchLoss"/);
    expect(readdirSync(out)).toHaveLength(1);
  });
});
