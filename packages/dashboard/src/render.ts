/** Results folder in, HTML file out. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readResultsDir } from '@gluon-loss/bench';
import { renderHtml } from './html.js';
import { buildDashboard, type DashboardModel } from './model.js';

export function renderDashboard(resultsDir: string, outFile: string): { model: DashboardModel; file: string } {
  const { runs, skipped } = readResultsDir(resultsDir);
  const model = buildDashboard(runs, skipped);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, renderHtml(model));
  return { model, file: outFile };
}
