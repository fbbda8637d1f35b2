import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultsFormatError, readResultsDir, resultsFileName, validateResults } from '../src/index.js';
import { cell, results } from './fixtures.js';

describe('validateResults', () => {
  it('accepts a well-formed run and returns it', () => {
    const r = results({ cells: [cell('ts', 'L2Loss', '32x32', 'forward', 1)] });
    expect(validateResults(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('checks the JAX anchor like the MXNet one, and accepts a file written before it', () => {
    const withJax = results({ jax: [cell('jax', 'L2Loss', '32x32', 'forward', 1)] });
    expect(validateResults(JSON.parse(JSON.stringify(withJax)))).toEqual(withJax);
    expect(validateResults(JSON.parse(JSON.stringify(results()))).reference.jax).toBeUndefined();
    const badCell = results({ jax: [{ ...cell('jax', 'L2Loss', '32x32', 'forward', 1), medianMs: undefined }] });
    expect(() => validateResults(badCell)).toThrow(/\$\.reference\.jax\.cells\[0\]\.medianMs/);
    const badStatus = { ...withJax, reference: { ...withJax.reference, jax: { status: 'maybe', cells: [] } } };
    expect(() => validateResults(badStatus)).toThrow(/\$\.reference\.jax\.status/);
  });

  it('rejects a foreign JSON document, naming the format field', () => {
    expect(() => validateResults({ name: 'some-package', version: '1.0.0' })).toThrow(ResultsFormatError);
    expect(() => validateResults({ name: 'some-package' })).toThrow(
      /\$\.format: .*not a gluon-loss bench results file/,
    );
    expect(() => validateResults([1, 2])).toThrow(/\$: expected a JSON object/);
  });

  it('rejects a results file of another format version', () => {
    expect(() => validateResults({ ...results(), formatVersion: 99 })).toThrow(/\$\.formatVersion/);
  });

  it('names the first wrong field of a cell', () => {
    const bad = results({
      cells: [
        cell('ts', 'L2Loss', '32x32', 'forward', 1),
        { ...cell('ts', 'L2Loss', '32x32', 'sideways' as never, 1) },
      ],
    });
    expect(() => validateResults(bad)).toThrow(/\$\.cells\[1\]\.mode/);
    const noTime = results({ mxnet: [{ ...cell('mxnet', 'L2Loss', '32x32', 'forward', 1), medianMs: undefined }] });
    expect(() => validateResults(noTime)).toThrow(
      /\$\.reference\.mxnet\.cells\[0\]\.medianMs: expected a finite number/,
    );
    const noReason = results({ cells: [{ ...cell('ts', 'L2Loss', '32x32', 'forward', null), reason: undefined }] });
    expect(() => validateResults(noReason)).toThrow(/\$\.cells\[0\]\.reason/);
  });

  it('requires the roofline entries to carry bytes and bandwidth', () => {
    const r = results();
    const bad = { ...r, reference: { ...r.reference, roofline: [{ elements: 1, bytes: 8, medianMs: 1 }] } };
    expect(() => validateResults(bad)).toThrow(/roofline\[0\]\.gbPerS/);
  });
});

describe('readResultsDir', () => {
  it('loads the valid runs oldest first and skips corrupt and foreign files, naming each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-format-'));
    const later = results({ startedAt: '2026-11-28T12:00:00.000Z' });
    const earlier = results({ startedAt: '2026-11-27T12:00:00.000Z' });
    // file names deliberately not in time order: the reader sorts by startedAt
    writeFileSync(join(dir, 'a.json'), JSON.stringify(later));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(earlier));
    writeFileSync(join(dir, 'corrupt.json'), '{"format": "gluon-loss-bench", "cells": [');
    writeFileSync(join(dir, 'foreign.json'), JSON.stringify({ name: 'not-a-bench-file' }));
    writeFileSync(join(dir, 'notes.txt'), 'ignored: not .json');
    const { runs, skipped } = readResultsDir(dir);
    expect(runs.map((r) => r.results.startedAt)).toEqual([earlier.startedAt, later.startedAt]);
    expect(skipped.map((s) => s.file)).toEqual([join(dir, 'corrupt.json'), join(dir, 'foreign.json')]);
    expect(skipped[0]!.reason).toMatch(/not valid JSON/);
    expect(skipped[1]!.reason).toMatch(/not a gluon-loss bench results file/);
  });
});

describe('resultsFileName', () => {
  it('is the UTC start time, so that names sort by time', () => {
    expect(resultsFileName(new Date('2026-11-28T09:05:03.123Z'))).toBe('2026-11-28T09-05-03Z.json');
    const names = ['2026-11-28T10:00:00Z', '2026-01-02T23:59:59Z', '2026-11-28T09:59:59Z'].map((d) =>
      resultsFileName(new Date(d)),
    );
    expect([...names].sort()).toEqual([names[1], names[2], names[0]]);
  });
});
