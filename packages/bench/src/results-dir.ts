/** Reading a folder of results files: every valid run, and a named reason for each file skipped. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateResults, type BenchResults } from './format.js';

export interface LoadedRun {
  readonly file: string;
  readonly results: BenchResults;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

export interface ResultsDir {
  /** Valid runs, oldest first. */
  readonly runs: readonly LoadedRun[];
  readonly skipped: readonly SkippedFile[];
}

/** Reads one file; throws with the reason it is not a results file. */
export function readResultsFile(file: string): BenchResults {
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return validateResults(parsed);
}

/**
 * Every `*.json` file of `dir`. A corrupt or foreign file never stops the reader: it is
 * listed in `skipped` with its path and why.
 */
export function readResultsDir(dir: string): ResultsDir {
  const runs: LoadedRun[] = [];
  const skipped: SkippedFile[] = [];
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.json'))
    .map((d) => d.name)
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    try {
      runs.push({ file, results: readResultsFile(file) });
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
    }
  }
  runs.sort((a, b) => Date.parse(a.results.startedAt) - Date.parse(b.results.startedAt));
  return { runs, skipped };
}
