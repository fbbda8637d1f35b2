#!/usr/bin/env node
/**
 * gluon-training-replay: replays every training golden (MXNet 1.9.1's runs, by default
 * the ones @gluon-loss/golden ships) with the router and writes the training-replay file
 * that `gluon-dashboard --training FILE` draws. Exits 0 when written, 1 on a failure, 2
 * on bad usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { findRepoRoot } from '@gluon-loss/bench';
import { readTrainingRuns } from '@gluon-loss/golden/node';
import { replayTrainingRuns } from './training-replay.js';

const root = findRepoRoot() ?? process.cwd();

const program = new Command()
  .name('gluon-training-replay')
  .description("Replay MXNet's training goldens with gluon-loss and write both loss curves for the dashboard.")
  .option('-g, --golden <dir>', 'folder of training goldens (default: the ones @gluon-loss/golden ships)')
  .option('-o, --out <file>', 'the JSON file to write', join(root, 'dashboard-out', 'training.json'))
  .showHelpAfterError()
  .exitOverride();

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{ golden?: string; out: string }>();
  const runs = opts.golden === undefined ? readTrainingRuns() : readTrainingRuns(resolve(opts.golden));
  const file = await replayTrainingRuns(runs);
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(file));
  for (const r of file.runs) {
    const worst = Math.max(...r.gluonLoss.map((v, i) => Math.abs(v - r.mxnet[i]!) / Math.abs(r.mxnet[i]!)));
    console.log(
      `${r.name}: ${r.steps} steps on ${r.backend} in ${r.replayMs.toFixed(0)} ms, max relative deviation from MXNet ${worst.toExponential(2)}`,
    );
  }
  console.log(`training replay of ${file.runs.length} run(s) written to ${out}`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    if (e instanceof CommanderError) {
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    } else {
      console.error(e instanceof Error ? e.stack : e);
      process.exitCode = 1;
    }
  },
);
