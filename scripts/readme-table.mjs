#!/usr/bin/env node
// Writes the README's coverage table (loss x backend) from conformance reports — the
// table is generated, never edited by hand.
//   node scripts/readme-table.mjs conformance-report.json [conformance-report.browser.json]
//   node scripts/readme-table.mjs --check <reports...>   (exit 1 if README.md differs)
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const check = args[0] === '--check';
const files = check ? args.slice(1) : args;
if (files.length === 0) {
  console.error('usage: readme-table.mjs [--check] report.json [report.browser.json]');
  process.exit(2);
}

const START = '<!-- conformance-table:start -->';
const END = '<!-- conformance-table:end -->';

const cells = new Map(); // loss -> backend -> {fp, ft, gp, gt, gap}
const columns = [];
const unavailable = [];
let mxnet = '';
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  mxnet = report.reference.mxnet;
  const where = report.environment.runtime === 'browser' ? 'Chromium' : 'Node';
  for (const b of report.backends) {
    const col = `${b.name} (${where})`;
    if (!b.available) {
      unavailable.push(`${col}: ${b.reason}`);
      continue;
    }
    columns.push(col);
    for (const r of report.results.filter((x) => x.backend === b.name)) {
      const byBackend = cells.get(r.loss) ?? new Map();
      const c = byBackend.get(col) ?? { fp: 0, ft: 0, gp: 0, gt: 0, gap: 0 };
      if (r.status === 'unsupported') c.gap++;
      else {
        c.ft++;
        if (r.forwardPass === true) c.fp++;
        if (r.kind === 'call') {
          c.gt++;
          if (r.gradPass === true) c.gp++;
        }
      }
      byBackend.set(col, c);
      cells.set(r.loss, byBackend);
    }
  }
}

const cellText = (c) => {
  if (!c) return '—';
  if (c.ft === 0) return '**gap**';
  const ok = c.fp === c.ft && c.gp === c.gt && c.gap === 0;
  const text = `${c.fp}/${c.ft} · ${c.gp}/${c.gt}`;
  return (ok ? text : `**${text}**`) + (c.gap > 0 ? ` (+${c.gap} gap)` : '');
};
const lines = [
  START,
  `Golden cases from MXNet ${mxnet} passed, forward · gradient (error cases count as forward).`,
  '',
  `| loss | ${columns.join(' | ')} |`,
  `|---|${columns.map(() => '---').join('|')}|`,
  ...[...cells.keys()].map((loss) => `| ${loss} | ${columns.map((col) => cellText(cells.get(loss).get(col))).join(' | ')} |`),
  ...(unavailable.length > 0 ? ['', ...unavailable.map((u) => `Not available in that run: ${u}`)] : []),
  END,
];
const table = lines.join('\n');

const readme = readFileSync('README.md', 'utf8');
const i = readme.indexOf(START);
const j = readme.indexOf(END);
if (i < 0 || j < 0) {
  console.error('README.md has no conformance-table markers');
  process.exit(2);
}
const updated = readme.slice(0, i) + table + readme.slice(j + END.length);
if (check) {
  if (updated !== readme) {
    console.error('README.md coverage table differs from the conformance reports: run `node scripts/readme-table.mjs <reports>`');
    process.exit(1);
  }
  console.log('README coverage table matches the reports');
} else {
  writeFileSync('README.md', updated);
  console.log(`README.md coverage table written from ${files.join(', ')}`);
}
