/**
 * The conformance suite under vitest: every golden case on every built-in backend that
 * runs in Node, and on the `@gluon-loss/tfjs` adapters (tfjs-ops-*). A backend that cannot run here fails the suite (CI must run them all);
 * each case is its own test, named `backend › Loss/case`. The report is also written to
 * test-output/conformance-node.json, from which CI checks the README's coverage table and
 * the router's eligibility table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { conformanceBackendNames } from '@gluon-loss/backends';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance, type ConformanceReport } from '../src/index.js';
import { loadBuiltinNodeBackends, readGoldenDir } from '../src/node.js';
import type { Backend } from '@gluon-loss/spec';

const suite = readGoldenDir();
const caseNames = suite.cases.map((c) => c.name);
const outDir = new URL('../../../test-output/', import.meta.url);
let backends: Backend[] = [];
let report: ConformanceReport;

beforeAll(async () => {
  backends = await loadBuiltinNodeBackends();
  report = await runConformance({ backends, suite });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL('conformance-node.json', outDir), JSON.stringify(report, null, 1) + '\n');
});

afterAll(async () => {
  for (const b of backends) await b.dispose?.();
});

describe.each(conformanceBackendNames('node'))('%s', (name) => {
  it('is available here', () => {
    const status = report.backends.find((b) => b.name === name);
    expect(status?.available, status?.reason).toBe(true);
  });

  it.each(caseNames)('%s', (caseName) => {
    const r = report.results.find((x) => x.backend === name && x.case === caseName);
    expect(r, 'not run').toBeDefined();
    // A backend may refuse a call it cannot compute as MXNet does (UnsupportedError from
    // supportsCall, with its reason): the router runs it elsewhere and the README's table
    // shows the gap. Anything else must pass.
    if (r!.status === 'unsupported') expect(r!.message, 'a refusal states why').toMatch(/\S/);
    else expect(r!.status, r!.message).toBe('pass');
  });
});
