/**
 * The conformance suite in headless Chromium: the bundled harness page runs every golden
 * case on every backend that runs in a browser (tfjs-webgl and tfjs-webgpu, onnx-webgpu on
 * SwiftShader) and hands back the report; each case is its own test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { conformanceBackendNames } from '@gluon-loss/backends';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ConformanceReport } from '@gluon-loss/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLACEMENT_CASES, parsePlacementLog, runBrowserConformance, runOnnxWebGpuPlacement } from '../src/index.js';

const backends = conformanceBackendNames('browser');
const caseNames = readGoldenDir().cases.map((c) => c.name);
let report: ConformanceReport;
let consoleLines: string[] = [];

beforeAll(async () => {
  ({ report, console: consoleLines } = await runBrowserConformance({ backends }));
  // CI checks the README's coverage table and the router's eligibility table against it
  const outDir = new URL('../../../test-output/', import.meta.url);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL('conformance-browser.json', outDir), JSON.stringify(report, null, 1) + '\n');
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
    // A backend may refuse a call it cannot compute as MXNet does (UnsupportedError from
    // supportsCall, with its reason): the router runs it elsewhere and the README's table
    // shows the gap. Anything else must pass.
    if (r!.status === 'unsupported') expect(r!.message, 'a refusal states why').toMatch(/\S/);
    else expect(r!.status, r!.message).toBe('pass');
  });
});

describe('onnx-webgpu really runs on WebGPU', () => {
  it("places every node of every loss's graphs on the WebGPU EP (ORT's verbose log)", async () => {
    const { report: placed, placement } = await runOnnxWebGpuPlacement(PLACEMENT_CASES);
    expect(placed.results.map((r) => r.case).sort()).toEqual([...PLACEMENT_CASES].sort());
    for (const r of placed.results) expect(r.status, `${r.case}: ${r.message}`).toBe('pass');
    // a forward and a forwardBackward session per case at least
    expect(placement.sessions).toBeGreaterThanOrEqual(2 * PLACEMENT_CASES.length);
    expect(placement.fallbacks).toEqual({});
    expect(placement.allOnWebGpu).toBe(placement.sessions);
  });
});

describe('parsePlacementLog', () => {
  it('counts sessions fully on WebGPU and lists the op types placed elsewhere', () => {
    const summary = parsePlacementLog([
      'error: [V:onnxruntime:, session_state_utils.cc:1] Node placements',
      'error: [V:onnxruntime:, session_state_utils.cc:1]  All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 12',
      'error: [V:onnxruntime:, session_state_utils.cc:1] Node placements',
      'error: [V:onnxruntime:, session_state_utils.cc:1]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 9',
      'error: [V:onnxruntime:, session_state_utils.cc:1]   Node name: a, Op type: Add',
      'error: [V:onnxruntime:, session_state_utils.cc:1]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2',
      'error: [V:onnxruntime:, session_state_utils.cc:1]   Node name: b, Op type: Scan',
      'error: [V:onnxruntime:, session_state_utils.cc:1]   Node name: c, Op type: Shape',
    ]);
    expect(summary).toEqual({ sessions: 2, allOnWebGpu: 1, fallbacks: { Scan: 1, Shape: 1 } });
  });
});
