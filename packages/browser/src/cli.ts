#!/usr/bin/env node
/**
 * gluon-browser-conformance: the conformance suite in headless Chromium, on the backends
 * that run in a browser and on backend modules (`--backend ./my-backend.mjs`, run as
 * `gluon-conformance --browser` runs them: imported as they are, with the page's
 * @gluon-loss/spec). Prints the same loss × backend table as gluon-conformance; exits 1 if
 * a case fails or a backend named with --backend is unavailable.
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { conformanceBackendNames } from '@gluon-loss/backends';
import {
  formatTable,
  isModuleSpecifier,
  summarize,
  summarizeUnsupported,
  type ConformanceReport,
} from '@gluon-loss/conformance';
import { runConformanceInChromium } from '@gluon-loss/conformance/chromium';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import { chromiumAvailable } from './chromium.js';
import { PLACEMENT_CASES, formatPlacement, type PlacementSummary } from './placement.js';
import { runBrowserConformance, runOnnxWebGpuPlacement } from './run-in-browser.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command()
  .name('gluon-browser-conformance')
  .description("Run MXNet 1.9.1's golden cases on gluon-loss backends in headless Chromium.")
  .addOption(
    new Option(
      '-b, --backend <name|module>',
      'a built-in backend or adapter, or a module whose default export is a Backend; repeatable (default: every browser backend, then the tfjs-ops adapters)',
    )
      .argParser(collect)
      .default([]),
  )
  .option('-g, --golden <dir>', 'a folder of golden files in the same format', defaultGoldenDir)
  .addOption(new Option('-f, --filter <glob>', 'case-name glob; repeatable').argParser(collect).default([]))
  .option('--json <file>', 'write the JSON report here')
  .exitOverride();

/** The built-ins' report and the modules' report as one (same Chromium, same goldens). */
function mergeReports(reports: readonly ConformanceReport[]): ConformanceReport {
  const [first] = reports;
  if (first === undefined) throw new Error('no backend to run');
  if (reports.length === 1) return first;
  const backends = reports.flatMap((r) => r.backends);
  const results = reports.flatMap((r) => r.results);
  return { ...first, backends, results, summary: summarize(backends, results) };
}

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{ backend: string[]; golden: string; filter: string[]; json?: string }>();
  const chromium = chromiumAvailable();
  if (!chromium.available) {
    console.log(`browser conformance skipped: ${chromium.reason}`);
    return opts.backend.length > 0 ? 1 : 0;
  }
  const modules = opts.backend.filter(isModuleSpecifier);
  const builtins =
    opts.backend.length > 0 ? opts.backend.filter((b) => !isModuleSpecifier(b)) : conformanceBackendNames('browser');
  const reports: ConformanceReport[] = [];
  if (builtins.length > 0)
    reports.push(
      (await runBrowserConformance({ backends: builtins, filter: opts.filter }, { goldenDir: opts.golden })).report,
    );
  // A module runs in gluon-conformance's own page (the runner and the spec only), where its
  // @gluon-loss/spec import is the page's copy.
  if (modules.length > 0)
    reports.push((await runConformanceInChromium({ modules, goldenDir: opts.golden, filter: opts.filter })).report);
  const report = mergeReports(reports);
  for (const r of report.results)
    if (r.status === 'fail' || r.status === 'error')
      process.stderr.write(`${r.backend} ${r.case}: ${r.status}: ${r.message ?? ''}\n`);
  for (const line of summarizeUnsupported(report.results)) process.stderr.write(`${line}\n`);
  console.log(
    `MXNet ${report.reference.mxnet} golden cases from ${opts.golden} in ${report.environment.userAgent ?? 'Chromium'}`,
  );
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
