#!/usr/bin/env node
/**
 * gluon-bench: times every loss × size × backend × mode beside MXNet 1.9.1, tfjs's
 * built-in losses and the memory roofline, and writes one results file named by the
 * run's UTC start time. Prints progress on stderr, then each backend's ratio to MXNet and
 * the targets. Exits 0 when the run completes (timings are reported, never
 * judged), 2 on bad usage or when no cell could be selected.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { resultsFileName } from './format.js';
import { findRepoRoot } from './machine.js';
import { runBench } from './run.js';
import { formatMxnetSummary, formatPerElement, formatProgress, formatTargets } from './summary.js';
import { evaluateTargets } from './targets.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const root = findRepoRoot() ?? process.cwd();

function threadsOption(value: string): number | 'default' {
  if (value === 'default') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer or "default"');
  return n;
}

const program = new Command()
  .name('gluon-bench')
  .description('Benchmark every gluon-loss backend against MXNet 1.9.1, tfjs built-in losses and the memory roofline.')
  .option('--quick', 'the small CI grid (two sizes per loss, short time budget)', false)
  .addOption(
    new Option(
      '-f, --filter <glob>',
      "loss/size/backend/mode glob, e.g. 'L2Loss', '*/*/ts', 'CTCLoss/*/onnx-*/forward'; repeatable",
    )
      .argParser(collect)
      .default([]),
  )
  .option('-o, --out <dir>', 'folder for the results file', join(root, 'bench-results'))
  .option('--python <path>', 'Python with mxnet==1.9.1 for the MXNet anchor', join(root, '.venv', 'bin', 'python'))
  .option('--no-mxnet', 'leave the MXNet anchor out')
  .option(
    '--jax-python <path>',
    'Python of .venv-jax (jax[cpu], optax) for the JAX anchor; full grid only',
    join(root, '.venv-jax', 'bin', 'python'),
  )
  .option('--no-jax', 'leave the JAX anchor out')
  .addOption(
    new Option('--mxnet-threads <n>', 'OMP_NUM_THREADS for MXNet, or "default" (MXNet\'s own choice)')
      .argParser(threadsOption)
      .default('default'),
  )
  .option('--no-router', 'do not time the router (gluon-loss) even when it is built')
  .option('--no-browser', 'do not time the browser-only backends in headless Chromium')
  .option('-q, --quiet', 'no progress lines')
  .showHelpAfterError()
  .exitOverride();

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{
    quick: boolean;
    filter: string[];
    out: string;
    python: string;
    mxnet: boolean;
    jaxPython: string;
    jax: boolean;
    mxnetThreads: number | 'default';
    router: boolean;
    browser: boolean;
    quiet?: boolean;
  }>();
  const say = (line: string): void => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const results = await runBench({
    quick: opts.quick,
    filter: opts.filter,
    ...(opts.mxnet ? { python: resolve(opts.python) } : {}),
    ...(opts.jax ? { jaxPython: resolve(opts.jaxPython) } : {}),
    mxnetThreads: opts.mxnetThreads,
    router: opts.router,
    browser: opts.browser,
    onLog: say,
    onProgress: (p) => say(formatProgress(p)),
  });
  if (results.cells.length === 0) {
    console.error(`no cell matches ${opts.filter.map((f) => JSON.stringify(f)).join(', ') || 'the grid'}`);
    return 2;
  }
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, resultsFileName(new Date(results.startedAt)));
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  console.log(formatMxnetSummary(results));
  console.log();
  console.log(formatPerElement(results));
  console.log();
  console.log(formatTargets(evaluateTargets(results)));
  console.log();
  console.log(`results written to ${file}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CommanderError) {
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  },
);
