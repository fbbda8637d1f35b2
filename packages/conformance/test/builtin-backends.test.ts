/**
 * The conformance suite under vitest: every golden case on every built-in backend that
 * runs in Node. A backend that cannot run here fails the suite (CI must run them all);
 * each case is its own test, named `backend › Loss/case`.
 */
import { builtinBackendNames, loadBuiltinBackend } from '@gluon-loss/backends';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance, type CaseResult } from '../src/index.js';
import { readGoldenDir } from '../src/node.js';
import type { Backend } from '@gluon-loss/spec';

const suite = readGoldenDir();
const caseNames = suite.cases.map((c) => c.name);

describe.each(builtinBackendNames('node'))('%s', (name) => {
  let backend: Backend | undefined;
  let loadError: string | undefined;
  const results = new Map<string, CaseResult>();

  beforeAll(async () => {
    try {
      backend = await loadBuiltinBackend(name);
    } catch (e) {
      loadError = (e as Error).message;
      return;
    }
    const report = await runConformance({ backends: [backend], suite });
    const status = report.backends[0]!;
    if (!status.available) loadError = status.reason;
    for (const r of report.results) results.set(r.case, r);
  });

  afterAll(async () => {
    await backend?.dispose?.();
  });

  it('is available here', () => {
    expect(loadError).toBeUndefined();
  });

  it.each(caseNames)('%s', (caseName) => {
    const r = results.get(caseName);
    expect(r, loadError ?? 'not run').toBeDefined();
    expect(r!.status, r!.message).toBe('pass');
  });
});
