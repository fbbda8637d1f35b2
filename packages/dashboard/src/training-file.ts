/**
 * The training-replay file: MXNet 1.9.1's loss after every step of each training golden
 * (conformance/golden/training), beside the trajectory gluon-loss computed when
 * `gluon-training-replay` replayed the same run. The dashboard reads it (`--training`) and
 * draws both curves; it never computes a trajectory itself.
 */

export const TRAINING_REPLAY_FORMAT = 'gluon-loss-training-replay';
export const TRAINING_REPLAY_FORMAT_VERSION = 1;

export interface ReplayedRun {
  /** The golden's name (`softmax-classifier`). */
  readonly name: string;
  readonly description: string;
  readonly loss: string;
  readonly steps: number;
  readonly learningRate: number;
  /** The backend the router ran the loss on (its `explain().backend` after the last call). */
  readonly backend: string;
  /** steps + 1 values, from the golden: before any step, then after each. */
  readonly mxnet: readonly number[];
  /** steps + 1 values, computed by the replay. */
  readonly gluonLoss: readonly number[];
  /** Wall time of the replay, ms. */
  readonly replayMs: number;
}

export interface TrainingReplayFile {
  readonly format: typeof TRAINING_REPLAY_FORMAT;
  readonly formatVersion: number;
  readonly generatedAt: string;
  /** How gluon-loss's trajectory was computed, in words. */
  readonly method: string;
  /** The relative deviation per step the replay tests hold every run to. */
  readonly tolerance: number;
  readonly runs: readonly ReplayedRun[];
}

export class TrainingReplayFormatError extends Error {
  override readonly name = 'TrainingReplayFormatError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const finiteList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Checks a parsed file and returns it typed; throws naming the first field that is wrong. */
export function validateTrainingReplay(value: unknown): TrainingReplayFile {
  const fail = (path: string, expected: string): never => {
    throw new TrainingReplayFormatError(`${path}: expected ${expected}`);
  };
  if (!isObject(value)) return fail('$', 'a JSON object');
  if (value.format !== TRAINING_REPLAY_FORMAT) fail('$.format', `"${TRAINING_REPLAY_FORMAT}"`);
  if (value.formatVersion !== TRAINING_REPLAY_FORMAT_VERSION)
    fail('$.formatVersion', String(TRAINING_REPLAY_FORMAT_VERSION));
  if (typeof value.method !== 'string') fail('$.method', 'a string');
  if (typeof value.tolerance !== 'number' || !(value.tolerance > 0)) fail('$.tolerance', 'a positive number');
  if (!Array.isArray(value.runs)) return fail('$.runs', 'an array');
  value.runs.forEach((r: unknown, i) => {
    const path = `$.runs[${i}]`;
    if (!isObject(r)) return fail(path, 'an object');
    for (const k of ['name', 'description', 'loss', 'backend'])
      if (typeof r[k] !== 'string') fail(`${path}.${k}`, 'a string');
    if (typeof r.steps !== 'number' || !Number.isInteger(r.steps) || r.steps < 1)
      fail(`${path}.steps`, 'a positive integer');
    for (const k of ['mxnet', 'gluonLoss']) {
      const list = r[k];
      if (!finiteList(list) || list.length !== (r.steps as number) + 1)
        fail(`${path}.${k}`, `${(r.steps as number) + 1} finite numbers (steps + 1)`);
    }
  });
  return value as unknown as TrainingReplayFile;
}
