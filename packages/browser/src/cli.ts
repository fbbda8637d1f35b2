#!/usr/bin/env node
/**
 * gluon-browser-conformance: the conformance suite in headless Chromium, on the backends
 * that run in a browser. Prints the same loss × backend table as gluon-conformance; exits
 * 1 if a case fails or a backend named with --backend is unavailable.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { conformanceBackendNames } from '@gluon-loss/backends';
import { formatTable } from '@gluon-loss/conformance';
import { chromiumAvailable } from './chromium.js';
import { PLACEMENT_CASES, formatPlacement, type PlacementSummary } from './placement.js';
import { runBrowserConformance, runOnnxWebGpuPlacement } from './run-in-browser.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command()
  .name('gluon-browser-conformance')
  .description("Run MXNet 1.9.1's golden cases on gluon-loss backends in headless Chromium.")
  .addOption(
    new Option(
      '-b, --backend <name>',
      'a built-in backend or adapter; repeatable (default: every browser backend, then the tfjs-ops adapters)',
    )
      .argParser(collect)
      .default([]),
  )
  .addOption(new Option('-f, --filter <glob>', 'case-name glob; repeatable').argParser(collect).default([]))
  .option('--json <file>', 'write the JSON report here')
  .exitOverride();

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{ backend: string[]; filter: string[]; json?: string }>();
  const chromium = chromiumAvailable();
  if (!chromium.available) {
    console.log(`browser conformance skipped: ${chromium.reason}`);
    return opts.backend.length > 0 ? 1 : 0;
  }
  const backends = opts.backend.length > 0 ? opts.backend : conformanceBackendNames('browser');
  const { report } = await runBrowserConformance({ backends, filter: opts.filter });
  console.log(`MXNet ${report.reference.mxnet} golden cases in ${report.environment.userAgent ?? 'Chromium'}`);
  console.log(formatTable(report));
  // Where onnx-webgpu ran, show that its nodes really ran on WebGPU (ORT's verbose placement log).
  let placementOk = true;
  let placement: PlacementSummary | undefined;
  if (report.backends.some((b) => b.name === 'onnx-webgpu' && b.available)) {
    placement = (await runOnnxWebGpuPlacement(PLACEMENT_CASES)).placement;
    console.log(formatPlacement(placement));
    placementOk = placement.sessions > 0 && placement.allOnWebGpu === placement.sessions;
  }
  if (opts.json)
    writeFileSync(opts.json, JSON.stringify(placement ? { ...report, placement } : report, null, 1) + '\n');
  const explicit = opts.backend.length > 0;
  const ok =
    placementOk &&
    // A call refused before computing (supportsCall, with its reason) is a stated gap.
    report.results.every(
      (r) => r.status === 'pass' || (r.status === 'unsupported' && /^forward(Backward)?: /.test(r.message ?? '')),
    ) &&
    (!explicit || report.backends.every((b) => b.available));
  if (!ok) console.log('browser conformance FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CommanderError) {
      process.exitCode = e.code === 'commander.helpDisplayed' ? 0 : 2;
      return;
    }
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 2;
  },
);
