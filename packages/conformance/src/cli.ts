#!/usr/bin/env node
/**
 * gluon-conformance: runs MXNet 1.9.1's golden cases on backends and prints a loss ×
 * backend table. Exits 1 if any selected case fails, errors or is unsupported (a call the
 * backend refuses at call time, with its reason, is a stated gap and does not count), or a
 * backend named with --backend is unavailable; 2 on bad usage.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import type { Backend } from '@gluon-loss/spec';
import { formatTable, summarizeUnsupported } from './report.js';
import { runConformance } from './run.js';
import { isModuleSpecifier } from './backend-module.js';
import { CHROMIUM_PATH, PLAYWRIGHT_CORE, runConformanceInChromium } from './chromium.js';
import type { CaseResult, ConformanceReport } from './report.js';
import {
  defaultGoldenDir,
  loadBackendSpecifier,
  loadBuiltinNodeBackends,
  readGoldenDir,
  unavailableBackend,
} from './node.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command()
  .name('gluon-conformance')
  .description("Run MXNet 1.9.1's golden cases on gluon-loss backends.")
  .addOption(
    new Option(
      '-b, --backend <name|module>',
      'a built-in backend name or a module whose default export is a Backend; repeatable (default: every built-in backend available here)',
    )
      .argParser(collect)
      .default([]),
  )
  .option('-g, --golden <dir>', 'a folder of golden files in the same format', defaultGoldenDir)
  .addOption(
    new Option('-f, --filter <glob>', "case-name glob, e.g. 'CTCLoss/*' or 'CTCLoss' or '*/error-*'; repeatable")
      .argParser(collect)
      .default([]),
  )
  .option('--json <file>', 'write the JSON report here')
  .option('-q, --quiet', 'print only the table')
  .option(
    '--browser',
    `run in headless Chromium (${CHROMIUM_PATH}, driven by ${PLAYWRIGHT_CORE}); backend modules only`,
  )
  .showHelpAfterError()
  .exitOverride();

type Options = {
  backend: string[];
  golden: string;
  filter: string[];
  json?: string;
  quiet?: boolean;
  browser?: boolean;
};

/** In Node: the built-in backends installed here, or the ones named (built-in names or modules). */
async function runInNode(opts: Options): Promise<ConformanceReport> {
  const suite = readGoldenDir(opts.golden);
  const backends: Backend[] = [];
  if (opts.backend.length > 0) {
    // An author's module imports the runner's own @gluon-loss/spec, wherever it lives.
    register('./spec-resolve-hook.js', import.meta.url);
    for (const spec of opts.backend) {
      try {
        backends.push(await loadBackendSpecifier(spec));
      } catch (e) {
        backends.push(unavailableBackend(spec, (e as Error).message));
      }
    }
  } else {
    backends.push(...(await loadBuiltinNodeBackends()));
  }
  let done = 0;
  return runConformance({
    backends,
    suite,
    filter: opts.filter,
    onResult: (r) => {
      done++;
      if (!opts.quiet) printFailure(r);
      if (!opts.quiet && process.stderr.isTTY && done % 25 === 0) process.stderr.write(`  ${done} cases run\r`);
    },
  });
}

/** In Chromium: the modules named, each served as it is and importing the page's @gluon-loss/spec. */
async function runInChromium(opts: Options): Promise<ConformanceReport> {
  const builtins = opts.backend.filter((b) => !isModuleSpecifier(b));
  if (opts.backend.length === 0 || builtins.length > 0)
    throw new Error(
      `--browser runs backend modules (--backend ./my-backend.mjs)${builtins.length > 0 ? `, not the built-in ${builtins.join(', ')}` : ''}: a built-in backend runs in a page that bundles it`,
    );
  const { report } = await runConformanceInChromium({
    modules: opts.backend,
    goldenDir: opts.golden,
    filter: opts.filter,
  });
  if (!opts.quiet) for (const r of report.results) printFailure(r);
  return report;
}

function printFailure(r: CaseResult): void {
  if (r.status !== 'pass' && r.status !== 'unsupported')
    process.stderr.write(`${r.backend} ${r.case}: ${r.status}: ${r.message ?? ''}\n`);
}

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<Options>();
  const report = opts.browser ? await runInChromium(opts) : await runInNode(opts);
  if (!opts.quiet) for (const line of summarizeUnsupported(report.results)) process.stderr.write(`${line}\n`);
  const where = opts.browser ? ` in ${report.environment.userAgent ?? 'Chromium'}` : '';
  console.log(`MXNet ${report.reference.mxnet} golden cases from ${opts.golden}${where}`);
  console.log(formatTable(report));
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(report, null, 1) + '\n');
    console.log(`report written to ${opts.json}`);
  }
  // Backends found unavailable on their own are listed, not failed; ones asked for by name must run.
  const failedBackends = opts.backend.length > 0 ? report.backends.filter((b) => !b.available) : [];
  // A call the backend refused before computing it (supportsCall: a rank or a value class it
  // does not compute as MXNet does; the router runs it elsewhere) is a stated gap, shown in
  // the table; a loss it does not implement, a failure or an error fails the run.
  const refusedAtCall = (r: CaseResult) => r.status === 'unsupported' && /^forward(Backward)?: /.test(r.message ?? '');
  const ok =
    report.results.every((r) => r.status === 'pass' || refusedAtCall(r)) &&
    failedBackends.length === 0 &&
    report.results.length > 0;
  if (!ok) console.log(report.results.length === 0 ? 'no case ran' : 'conformance FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CommanderError) {
      // commander has printed the problem (or the help) already
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  },
);
