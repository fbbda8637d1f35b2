/** Results folder (and a training-replay file) in, HTML file out. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readResultsDir } from '@gluon-loss/bench';
import { renderHtml } from './html.js';
import { buildDashboard, trainingSection, type DashboardModel, type TrainingSection } from './model.js';
import { validateTrainingReplay } from './training-file.js';

/** The training panel from a training-replay file; a missing or malformed file is said on the page, not thrown. */
export function readTrainingSection(file: string | undefined): TrainingSection {
  if (file === undefined) return trainingSection(null);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return trainingSection(null, `${file}: ${e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message}`);
  }
  try {
    return trainingSection(validateTrainingReplay(json));
  } catch (e) {
    return trainingSection(null, `${file}: ${(e as Error).message}`);
  }
}

export function renderDashboard(
  resultsDir: string,
  outFile: string,
  trainingFile?: string,
): { model: DashboardModel; file: string } {
  const { runs, skipped } = readResultsDir(resultsDir);
  const model = buildDashboard(runs, skipped, new Date(), readTrainingSection(trainingFile));
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, renderHtml(model));
  return { model, file: outFile };
}
