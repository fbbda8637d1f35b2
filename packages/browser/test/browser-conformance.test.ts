/**
 * The conformance suite in headless Chromium: the bundled harness page runs every golden
 * case on every backend that runs in a browser (tfjs-webgl and tfjs-webgpu, onnx-webgpu on
 * SwiftShader) and hands back the report; each case is its own test.
 */
import { builtinBackendNames } from '@gluon-loss/backends';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ConformanceReport } from '@gluon-loss/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBrowserConformance } from '../src/index.js';

const backends = builtinBackendNames('browser');
const caseNames = readGoldenDir().cases.map((c) => c.name);
let report: ConformanceReport;
let consoleLines: string[] = [];

beforeAll(async () => {
  ({ report, console: consoleLines } = await runBrowserConformance({ backends }));
});

describe('the harness page', () => {
  it('runs in Chromium, not Node', () => {
    expect(report.environment.runtime).toBe('browser');
    expect(report.environment.userAgent).toContain('HeadlessChrome');
  });

  it('raises no page errors', () => {
    expect(consoleLines.filter((l) => l.startsWith('pageerror:'))).toEqual([]);
  });
});

describe.each(backends)('%s in Chromium', (name) => {
  it('is available', () => {
    const status = report.backends.find((b) => b.name === name);
    expect(status?.available, status?.reason).toBe(true);
  });

  it.each(caseNames)('%s', (caseName) => {
    const r = report.results.find((x) => x.backend === name && x.case === caseName);
    expect(r, 'not run').toBeDefined();
    expect(r!.status, r!.message).toBe('pass');
  });
});
