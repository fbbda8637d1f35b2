#!/usr/bin/env node
// Regenerates the router's eligibility table (packages/router/src/eligibility.generated.ts)
// from conformance runs: for each environment and backend, the losses whose every MXNet
// golden case it passed. The table is generated, never edited by hand, and never re-run
// when an application starts.
//
//   node scripts/update-eligibility.mjs            fresh runs (Node, then each browser backend in Chromium), write the table
//   node scripts/update-eligibility.mjs --check    fresh runs, exit 1 if the shipped table differs (CI)
//   --node-report r.json --browser-report rb.json  use reports already written by the two CLIs instead of running them
//                                                  (--browser-report may repeat: one report per backend is fine)
//   --only node|browser                            regenerate/check one environment; the other keeps its shipped rows
//
// Needs `pnpm build` first (the conformance CLIs and the router's dist/). After an update,
// rebuild the router so dist/ carries the new table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tableFile = join(root, 'packages/router/src/eligibility.generated.ts');
const ruleModule = join(root, 'packages/router/dist/eligibility-rule.js');
const backendsModule = join(root, 'packages/backends/dist/index.js');
const goldenDir = join(root, 'conformance/golden');

function usage(message) {
  console.error(`update-eligibility: ${message}`);
  console.error(
    'usage: node scripts/update-eligibility.mjs [--check] [--only node|browser] [--node-report FILE] [--browser-report FILE]...',
  );
  process.exit(2);
}

let opts;
try {
  // node:util's parser: typed options, repeatable flags, an error for anything unknown
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      only: { type: 'string' },
      'node-report': { type: 'string', multiple: true, default: [] },
      'browser-report': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
    allowPositionals: false,
  });
  opts = {
    check: values.check,
    only: values.only,
    nodeReports: values['node-report'].map((f) => resolve(f)),
    browserReports: values['browser-report'].map((f) => resolve(f)),
  };
} catch (e) {
  usage(e.message);
}
if (opts.only !== undefined && opts.only !== 'node' && opts.only !== 'browser') usage('--only takes node or browser');
for (const f of [ruleModule, backendsModule]) if (!existsSync(f)) usage(`${f} is missing: run \`pnpm build\` first`);

const { eligibilityFromReport, renderEligibilityModule } = await import(pathToFileURL(ruleModule).href);
const { builtinBackendNames, CONFORMANCE_ADAPTERS } = await import(pathToFileURL(backendsModule).href);
// The conformance suite also runs test adapters (tfjs-ops-*), which are never routed.
const adapters = new Set(CONFORMANCE_ADAPTERS.map((a) => a.name));

// Golden cases per loss, straight from the golden files (calls and rejections alike).
const goldenCases = {};
let mxnet;
for (const f of readdirSync(goldenDir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const file = JSON.parse(readFileSync(join(goldenDir, f), 'utf8'));
  goldenCases[file.loss] = file.cases.length;
  mxnet ??= file.reference?.mxnet;
}

const scratch = mkdtempSync(join(tmpdir(), 'gluon-eligibility-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** Runs a conformance CLI; a failing case (exit 1) is a result, a crash (exit 2) is not. */
function runCli(cli, cliArgs, out) {
  console.error(`$ node ${cli} ${cliArgs.join(' ')} --json ${out}`);
  const run = spawnSync(process.execPath, [join(root, cli), ...cliArgs, '--json', out], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0 && run.status !== 1) {
    console.error(run.stdout.slice(-4000), run.stderr.slice(-4000));
    throw new Error(`${cli} exited with ${run.status ?? run.signal}`);
  }
  if (!existsSync(out)) {
    console.error(run.stdout.slice(-2000));
    throw new Error(`${cli} wrote no report (${run.stdout.trim().split('\n').pop()})`);
  }
  return JSON.parse(readFileSync(out, 'utf8'));
}

function nodeReports() {
  if (opts.nodeReports.length > 0) return opts.nodeReports.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  return [runCli('packages/conformance/dist/cli.js', ['--quiet'], join(scratch, 'node.json'))];
}

// One Chromium per backend: a page that loads one backend is what an application gets,
// and one backend's crash cannot take the others' results with it.
function browserReports() {
  if (opts.browserReports.length > 0) return opts.browserReports.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  return builtinBackendNames('browser').map((name) =>
    runCli('packages/browser/dist/cli.js', ['--backend', name], join(scratch, `browser-${name}.json`)),
  );
}

/** The environment's rows, merged over its reports, backends in the registry's order. */
function rowsFrom(reports, environment) {
  const rows = {};
  for (const report of reports) {
    const where = report.environment.runtime === 'browser' ? 'browser' : 'node';
    if (where !== environment) throw new Error(`a ${where} report was given as a ${environment} report`);
    for (const [backend, row] of Object.entries(eligibilityFromReport(report, goldenCases))) {
      if (!adapters.has(backend)) rows[backend] = row;
    }
  }
  const order = builtinBackendNames(environment);
  const rank = (b) => (order.includes(b) ? order.indexOf(b) : order.length);
  return Object.fromEntries(Object.entries(rows).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)));
}

/** The table in the shipped file, or undefined when the file is not one this script wrote. */
function shippedTable() {
  const text = readFileSync(tableFile, 'utf8');
  const start = text.indexOf('{', text.indexOf('GENERATED_ELIGIBILITY'));
  try {
    return JSON.parse(text.slice(start, text.lastIndexOf('}') + 1));
  } catch {
    return undefined;
  }
}

const shipped = existsSync(tableFile) ? shippedTable() : undefined;
const environments = {};
for (const env of ['node', 'browser']) {
  if (opts.only !== undefined && opts.only !== env) {
    environments[env] = shipped?.environments?.[env] ?? {};
    console.error(`${env}: kept as shipped (--only ${opts.only})`);
  } else {
    environments[env] = rowsFrom(env === 'node' ? nodeReports() : browserReports(), env);
  }
}
const table = { reference: { mxnet: mxnet ?? 'unknown' }, goldenCases, environments };
const text = renderEligibilityModule(table);

function describeDifferences(before, after) {
  const lines = [];
  const counts = (t) => JSON.stringify(Object.entries(t?.goldenCases ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  if (counts(before) !== counts(after)) lines.push('golden case counts changed');
  for (const env of ['node', 'browser']) {
    const a = before?.environments?.[env] ?? {};
    const b = after.environments[env] ?? {};
    for (const backend of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const was = new Set(a[backend] ?? []);
      const now = new Set(b[backend] ?? []);
      const gained = [...now].filter((l) => !was.has(l));
      const lost = [...was].filter((l) => !now.has(l));
      if (gained.length > 0) lines.push(`${env} ${backend}: now eligible for ${gained.join(', ')}`);
      if (lost.length > 0) lines.push(`${env} ${backend}: no longer eligible for ${lost.join(', ')}`);
    }
  }
  return lines;
}

const current = existsSync(tableFile) ? readFileSync(tableFile, 'utf8') : '';
const source =
  opts.nodeReports.length + opts.browserReports.length > 0
    ? 'the conformance reports given'
    : 'a fresh conformance run';
const summary = Object.entries(environments)
  .map(
    ([env, rows]) =>
      `${env}: ${
        Object.entries(rows)
          .map(([b, l]) => `${b} ${l.length}/${Object.keys(goldenCases).length}`)
          .join(', ') || 'no backend'
      }`,
  )
  .join('\n');
if (opts.check) {
  if (current === text) {
    console.log(`eligibility table matches ${source}\n${summary}`);
  } else {
    console.log(`eligibility table DIFFERS from ${source}:`);
    for (const line of describeDifferences(shipped, table)) console.log(`  ${line}`);
    console.log('run `node scripts/update-eligibility.mjs` (then rebuild) to regenerate it');
    process.exitCode = 1;
  }
} else {
  writeFileSync(tableFile, text);
  const changes = describeDifferences(shipped, table);
  console.log(`wrote ${tableFile}${current === text ? ' (unchanged)' : ''}\n${summary}`);
  for (const line of changes) console.log(`  ${line}`);
  if (current !== text) console.log('rebuild the router (pnpm build) so that dist/ carries it');
}
