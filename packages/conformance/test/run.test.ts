import { describe, expect, it } from 'vitest';
import {
  compareTensor,
  formatTable,
  summarizeUnsupported,
  runConformance,
  selectCases,
  toleranceFor,
  DEFAULT_TOLERANCE,
} from '../src/index.js';
import { readGoldenDir } from '../src/node.js';
import { fakeBackend, l1Suite, onlyL2, unavailable } from './fixtures/fake-backends.js';

const tol = { rtol: 1e-4, atol: 1e-5 };
const want = (data: number[], mask?: number[]) => ({
  shape: [data.length],
  data: Float64Array.from(data),
  ...(mask ? { undefinedMask: Uint8Array.from(mask) } : {}),
});
const got = (data: number[]) => ({ shape: [data.length], data: Float32Array.from(data) });

describe('compareTensor', () => {
  it('passes within atol + rtol * |want| and fails beyond', () => {
    expect(compareTensor(got([1.00009, 0]), want([1, 0]), tol).ok).toBe(true);
    const far = compareTensor(got([1.0002, 0]), want([1, 0]), tol);
    expect(far.ok).toBe(false);
    expect(far.mismatch).toMatch(/^element 0 \[0\]: got 1.000/);
    const several = compareTensor(
      { shape: [2, 2], data: Float32Array.from([1, 2.5, 3, 9]) },
      { shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) },
      tol,
    );
    expect(several.mismatch).toContain('2 of 4 elements out of tolerance (at [0, 1] [1, 1])');
    expect(several.mismatch).toContain('worst element 3 [1, 1]: got 9, expected 4');
    expect(several.mismatch).toContain(`rule |got - want| <= ${tol.atol} + ${tol.rtol} * |want|`);
    expect(compareTensor(got([0, 2e-5]), want([0, 0]), tol).ok).toBe(false);
  });

  it('requires NaN where MXNet gives NaN, and the same infinity', () => {
    expect(compareTensor(got([Number.NaN]), want([Number.NaN]), tol).ok).toBe(true);
    expect(compareTensor(got([0]), want([Number.NaN]), tol).ok).toBe(false);
    expect(compareTensor(got([Number.NaN]), want([0]), tol).ok).toBe(false);
    expect(compareTensor(got([Number.POSITIVE_INFINITY]), want([Number.POSITIVE_INFINITY]), tol).ok).toBe(true);
    expect(compareTensor(got([Number.NEGATIVE_INFINITY]), want([Number.POSITIVE_INFINITY]), tol).ok).toBe(false);
    expect(compareTensor(got([1e30]), want([Number.POSITIVE_INFINITY]), tol).ok).toBe(false);
  });

  it('requires 0 where MXNet leaves the value undefined', () => {
    expect(compareTensor(got([0, 1]), want([0, 1], [1, 0]), tol).ok).toBe(true);
    expect(compareTensor(got([0.5, 1]), want([123, 1], [1, 0]), tol).ok).toBe(false);
  });

  it('fails on a shape mismatch or a missing tensor', () => {
    expect(compareTensor({ shape: [2, 1], data: new Float32Array(2) }, want([0, 0]), tol).ok).toBe(false);
    expect(compareTensor(undefined, want([0]), tol).mismatch).toBe('missing');
  });
});

describe('the tolerance table', () => {
  it('defaults to rtol 1e-4, atol 1e-5 for every case', () => {
    expect(toleranceFor('L2Loss/2d', 'ts')).toEqual(DEFAULT_TOLERANCE);
    expect(DEFAULT_TOLERANCE).toMatchObject({ rtol: 1e-4, atol: 1e-5 });
  });

  it('applies a rule only to the cases and backends it names', () => {
    const rules = [{ cases: 'CTCLoss/*', backends: 'tfjs-*', rtol: 2e-4, atol: 1e-5, reason: 'test' }];
    expect(toleranceFor('CTCLoss/ntc', 'tfjs-cpu', rules).rtol).toBe(2e-4);
    expect(toleranceFor('CTCLoss/ntc', 'ts', rules).rtol).toBe(1e-4);
    expect(toleranceFor('L2Loss/2d', 'tfjs-cpu', rules).rtol).toBe(1e-4);
  });
});

describe('selectCases', () => {
  const suite = readGoldenDir();
  it('selects by case glob, by loss name, or both', () => {
    expect(selectCases(suite, 'CTCLoss/mxnet-test-*').map((c) => c.name)).toContain('CTCLoss/mxnet-test-ntc');
    expect(selectCases(suite, 'CTCLoss').every((c) => c.name.startsWith('CTCLoss/'))).toBe(true);
    expect(selectCases(suite, ['*/error-*']).every((c) => c.kind === 'error')).toBe(true);
    expect(selectCases(suite, 'NoSuchLoss')).toHaveLength(0);
    expect(selectCases(suite)).toHaveLength(suite.cases.length);
  });
});

describe('runConformance', () => {
  it('passes a backend that matches every value and rejects what MXNet rejects', async () => {
    const report = await runConformance({ backends: [fakeBackend('exact')], suite: l1Suite() });
    expect(report.results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(report.summary['fake-exact']).toEqual({ pass: 3, fail: 0, unsupported: 0, error: 0 });
    expect(report.results[0]!.grads.pred).toEqual({ maxAbsErr: 0, maxRelErr: 0 });
  });

  it('fails a forward value out of tolerance, and says which', async () => {
    const [r] = (
      await runConformance({ backends: [fakeBackend('off-by-a-bit')], suite: l1Suite(), filter: 'L1Loss/by-hand' })
    ).results;
    expect(r!.status).toBe('fail');
    expect(r!.forwardPass).toBe(false);
    expect(r!.gradPass).toBe(true);
    expect(r!.message).toContain('forward loss: element 0');
    expect(r!.message).toMatch(/; case: pred \[[\d, ]+\], label \[[\d, ]+\]; config \{/);
  });

  it('fails a missing gradient', async () => {
    const [r] = (
      await runConformance({ backends: [fakeBackend('no-label-grad')], suite: l1Suite(), filter: 'L1Loss/by-hand' })
    ).results;
    expect(r!.status).toBe('fail');
    expect(r!.message).toContain('grad label: missing');
  });

  it('reports a backend that throws as an error, and goes on', async () => {
    const report = await runConformance({ backends: [fakeBackend('throws')], suite: l1Suite() });
    expect(report.results[0]).toMatchObject({ status: 'error', message: 'forward: Error: boom' });
    expect(report.results[1]!.status).toBe('pass');
  });

  it('fails a backend that accepts input MXNet rejects', async () => {
    const report = await runConformance({
      backends: [fakeBackend('accepts-anything')],
      suite: l1Suite(),
      filter: '*/error-label-size',
    });
    expect(report.results[0]!.status).toBe('fail');
    expect(report.results[0]!.message).toContain('expected an InputError');
  });

  it('reports a gap as unsupported and an unavailable backend with its reason', async () => {
    const report = await runConformance({
      backends: [onlyL2, unavailable],
      suite: l1Suite(),
      filter: 'L1Loss/by-hand',
    });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ backend: 'fake-only-l2', status: 'unsupported', message: 'only L2Loss' });
    expect(report.backends).toEqual([
      { name: 'fake-only-l2', available: true },
      { name: 'fake-unavailable', available: false, reason: 'no device here' },
    ]);
    const table = formatTable(report);
    expect(table).toMatch(/L1Loss\s+not implemented/);
    expect(summarizeUnsupported(report.results)).toEqual([
      'fake-only-l2 L1Loss: not implemented (1 cases): only L2Loss',
    ]);
    expect(table).toContain('unavailable: fake-unavailable: no device here');
  });

  it('writes a JSON-serialisable report of the documented shape', async () => {
    const report = await runConformance({ backends: [fakeBackend('exact')], suite: l1Suite() });
    const json = JSON.parse(JSON.stringify(report));
    expect(json.reference).toEqual({ mxnet: '1.9.1' });
    expect(Object.keys(json.results[0]).sort()).toEqual(
      ['backend', 'case', 'forward', 'forwardPass', 'gradPass', 'grads', 'kind', 'loss', 'rule', 'status'].sort(),
    );
  });
});

describe('a backend that hangs', () => {
  it('is reported unavailable when its probe never settles, and the run goes on', async () => {
    const hanging = { ...fakeBackend('exact'), name: 'fake-hangs', probe: () => new Promise<never>(() => {}) };
    const report = await runConformance({ backends: [hanging, fakeBackend('exact')], suite: l1Suite(), timeoutMs: 50 });
    expect(report.backends[0]).toEqual({
      name: 'fake-hangs',
      available: false,
      reason: 'probe threw: TimeoutError: fake-hangs probe did not finish within 0.05 s',
    });
    expect(report.summary['fake-exact']!.pass).toBe(3);
  });

  it('gives an error for a call that never settles', async () => {
    const base = fakeBackend('exact');
    const stuck = {
      ...base,
      name: 'fake-stuck',
      compile: async () =>
        ({ ...(await base.compile('L1Loss', {})), forward: () => new Promise<never>(() => {}) }) as never,
    };
    const [r] = (await runConformance({ backends: [stuck], suite: l1Suite(), filter: 'L1Loss/by-hand', timeoutMs: 50 }))
      .results;
    expect(r).toMatchObject({
      status: 'error',
      message: 'forward: TimeoutError: forward did not finish within 0.05 s',
    });
  });
});
