/** Reads golden folders from disk (Node only; a page imports the JSON files instead). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeGoldenFile, mergeSuites } from './decode.js';
import type { GoldenSuite } from './format.js';
import { decodeTrainingFile, type TrainingRun } from './training.js';

/** The folder of golden files this package ships. */
export const defaultGoldenDir: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export function readGoldenDir(dir: string = defaultGoldenDir): GoldenSuite {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no golden files (*.json) in ${dir}`);
  return mergeSuites(files.map((f) => decodeGoldenFile(JSON.parse(readFileSync(join(dir, f), 'utf8')), join(dir, f))));
}

/** The training goldens this package ships, by run name. */
export function readTrainingRuns(dir: string = join(defaultGoldenDir, 'training')): TrainingRun[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => decodeTrainingFile(JSON.parse(readFileSync(join(dir, f), 'utf8')), join(dir, f)));
}
