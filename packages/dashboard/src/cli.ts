#!/usr/bin/env node
/**
 * gluon-dashboard: renders every results file of a folder (default: the repo's
 * bench-results/), and the training curves of a training-replay file when given one,
 * into one self-contained HTML page. A corrupt or foreign file is skipped
 * with a warning naming it. Exits 0 when the page is written, 1 when the folder holds no
 * valid run, 2 on bad usage.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { findRepoRoot } from '@gluon-loss/bench';
import { allCharts } from './model.js';
import { renderDashboard } from './render.js';

const root = findRepoRoot() ?? process.cwd();

const program = new Command()
  .name('gluon-dashboard')
  .description('Render the gluon-loss bench results into one static HTML dashboard.')
  .option('-r, --results <dir>', 'folder of bench results files', join(root, 'bench-results'))
  .option('-o, --out <file>', 'the HTML file to write', join(root, 'dashboard-out', 'index.html'))
  .option(
    '-t, --training <file>',
    "a training-replay file (gluon-training-replay's output): MXNet's loss curves beside gluon-loss's",
  )
  .showHelpAfterError()
  .exitOverride();

function main(): number {
  program.parse();
  const opts = program.opts<{ results: string; out: string; training?: string }>();
  if (!existsSync(opts.results)) {
    console.error(`no results folder at ${opts.results}: run \`pnpm bench\` first`);
    return 1;
  }
  const { model, file } = renderDashboard(
    resolve(opts.results),
    resolve(opts.out),
    opts.training === undefined ? undefined : resolve(opts.training),
  );
  for (const s of model.skipped) console.warn(`warning: skipped ${s.file}: ${s.reason}`);
  if (model.training.status === 'invalid') console.warn(`warning: no training curves: ${model.training.reason}`);
  if (model.latest === null) {
    console.error(`no valid results file in ${opts.results}`);
    return 1;
  }
  const charts = allCharts(model).length;
  console.log(`dashboard of ${model.runs.length} run(s), ${charts} charts, written to ${file}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
  } else {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  }
}
