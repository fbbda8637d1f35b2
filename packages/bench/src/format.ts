/**
 * The bench results file: one JSON document per run, the only thing the dashboard reads.
 * `packages/dashboard/README.md` documents it field by field; this file is its type and
 * its validator. A change that breaks old files bumps FORMAT_VERSION, and readers skip
 * files of a version they do not know (with a warning) instead of misreading them.
 */

export const RESULTS_FORMAT = 'gluon-loss-bench';
export const FORMAT_VERSION = 1;

export type Mode = 'forward' | 'forwardBackward';
export const MODES: readonly Mode[] = ['forward', 'forwardBackward'];

/**
 * ok: timed. failed: it threw (compile, first call or mid-run). unavailable: the backend
 * or anchor cannot run here. unsupported: the backend says it does not implement this loss
 * or config (or the anchor has no equivalent).
 */
export type CellStatus = 'ok' | 'failed' | 'unavailable' | 'unsupported';

/** Time ratios of one cell, all taken from the same run. */
export interface CellRatios {
  /** medianMs / MXNet's medianMs for the same loss, size and mode (below 1: faster than MXNet). */
  readonly mxnet: number | null;
  /**
   * medianMs / JAX's medianMs (the second native anchor: XLA on the CPU), the same way;
   * null when JAX did not time the cell. Absent in files written before the JAX anchor.
   */
  readonly jax?: number | null;
  /** medianMs / the tfjs built-in equivalent's medianMs, by the tfjs backend it ran on. */
  readonly tfjsBuiltin: Readonly<Record<string, number>>;
  /** Roofline medianMs / medianMs: the fraction of the memory-copy limit reached (1 = at the limit). */
  readonly roofline: number | null;
}

export interface Cell {
  /** The canonical MXNet class name (SoftmaxCrossEntropyLoss, not SoftmaxCELoss). */
  readonly loss: string;
  /** The grid's size label: `1024x1024`, `1024x1000`, `T100 N32 C32 L20`. */
  readonly size: string;
  /** Elements of the main input (pred, input1, x1). */
  readonly elements: number;
  /** The shape of every input given, by MXNet's input name. */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  /** Bytes a call must at least move: every input read, the loss (and the gradients) written. */
  readonly bytes?: number;
  /** A built-in backend name (`ts`, `tfjs-wasm`, `onnx-node`, ...), or `mxnet` / `jax` for the anchors. */
  readonly backend: string;
  readonly mode: Mode;
  readonly status: CellStatus;
  /** Steady state after warm-up, in milliseconds. */
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  /**
   * medianMs per element of the main input, in nanoseconds (set on every timed cell, the
   * anchors' too): how cost grows from one size to the next.
   */
  readonly nsPerElement?: number;
  /** Timed calls behind the median. */
  readonly samples?: number;
  /** compile() (graph build, session creation) plus the first call, in milliseconds. */
  readonly firstCallMs?: number;
  /** The compile() part of firstCallMs. */
  readonly compileMs?: number;
  /** Why the cell has no timing (status other than ok). */
  readonly reason?: string;
  /** tfjsBuiltin cells: the tfjs function timed, e.g. `tf.losses.meanSquaredError`. */
  readonly builtin?: string;
  /** A remark on how an ok cell ran, e.g. MXNet imperative because it cannot hybridize the loss. */
  readonly note?: string;
  /** Router cells: the backend the router chose for this call. */
  readonly choice?: string;
  readonly ratios?: CellRatios;
}

export interface RooflineEntry {
  /** Float32 elements copied (bytes / 4 / 2: half the traffic is reading, half writing). */
  readonly elements: number;
  /** Bytes moved: read plus written. */
  readonly bytes: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly gbPerS: number;
}

export interface BackendStatus {
  readonly name: string;
  readonly environments: readonly string[];
  readonly available: boolean;
  readonly reason?: string;
  /** Loading the package and probing it (wasm start, runtime initialisation), in ms. */
  readonly initMs?: number;
}

export interface MxnetReference {
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly reason?: string;
  /** OMP threads MXNet ran with: a number, or `default` (MXNet's own choice). */
  readonly threads?: number | 'default';
  /** MXNet's engine, e.g. ThreadedEnginePerDevice. */
  readonly engine?: string;
  readonly cells: readonly Cell[];
}

/** The JAX anchor (jax[cpu] on XLA's CPU runtime), timed in the full bench only. */
export interface JaxReference {
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly reason?: string;
  /** XLA's CPU threads: `default` (its own pool over the machine's cores). */
  readonly threads?: 'default';
  /** The device JAX ran on, e.g. `cpu (cpu)`. */
  readonly device?: string;
  /** Cells with backend `jax`; a loss or option JAX cannot express as MXNet does is `unsupported` ("no JAX anchor: ..."). */
  readonly cells: readonly Cell[];
}

export interface RouterSection {
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly reason?: string;
  /** Cells timed through `createLoss` (backend `router`), each with the backend it chose. */
  readonly cells: readonly Cell[];
}

export interface BenchResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly formatVersion: number;
  /** ISO 8601, UTC; also the file's name. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly filter: readonly string[];
  readonly settings: {
    readonly timeMs: number;
    readonly minIterations: number;
    readonly warmupIterations: number;
  };
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    readonly node: string;
    readonly v8: string;
    /** Chromium's version line, or null when there is none. */
    readonly browser: string | null;
  };
  /** Every package's version: workspace packages, their dependencies, mxnet, numpy, python; jax, jaxlib, optax, jaxNumpy, jaxPython when JAX ran. */
  readonly versions: Readonly<Record<string, string>>;
  readonly backends: readonly BackendStatus[];
  readonly cells: readonly Cell[];
  readonly reference: {
    readonly mxnet: MxnetReference;
    /** Written by every run since the JAX anchor (`unavailable` with the reason when it did not run); absent in older files. */
    readonly jax?: JaxReference;
    readonly tfjsBuiltin: { readonly cells: readonly Cell[] };
    readonly roofline: readonly RooflineEntry[];
  };
  readonly router?: RouterSection;
}

/** What a results file failed to be, in words a warning can carry. */
export class ResultsFormatError extends Error {
  override readonly name = 'ResultsFormatError';
}

const CELL_STATUSES: readonly string[] = ['ok', 'failed', 'unavailable', 'unsupported'];
const SECTION_STATUSES: readonly string[] = ['ok', 'unavailable', 'failed'];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : (JSON.stringify(got)?.slice(0, 60) ?? String(got));
  throw new ResultsFormatError(`${path}: expected ${expected}, got ${shown}`);
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${path}.${key}`, 'a string', v);
  return v;
}

function num(o: Json, key: string, path: string, optional = false): void {
  const v = o[key];
  if (optional && v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'a finite number', v);
}

function arr(o: Json, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${path}.${key}`, 'an array', v);
  return v;
}

function obj(o: Json, key: string, path: string): Json {
  const v = o[key];
  if (!isObject(v)) fail(`${path}.${key}`, 'an object', v);
  return v;
}

function checkCell(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'a cell object', v);
  str(v, 'loss', path);
  str(v, 'size', path);
  str(v, 'backend', path);
  num(v, 'elements', path);
  const mode = str(v, 'mode', path);
  if (mode !== 'forward' && mode !== 'forwardBackward') fail(`${path}.mode`, "'forward' or 'forwardBackward'", mode);
  const status = str(v, 'status', path);
  if (!CELL_STATUSES.includes(status)) fail(`${path}.status`, CELL_STATUSES.join(' | '), status);
  if (status === 'ok') {
    for (const k of ['medianMs', 'minMs', 'maxMs']) num(v, k, path);
    num(v, 'firstCallMs', path, true);
  } else {
    str(v, 'reason', path);
  }
}

function checkCells(list: unknown[], path: string): void {
  list.forEach((c, i) => checkCell(c, `${path}[${i}]`));
}

/**
 * Checks that `value` is a bench results file this reader understands and returns it
 * typed; throws ResultsFormatError naming the first field that is wrong.
 */
export function validateResults(value: unknown): BenchResults {
  if (!isObject(value)) fail('$', 'a JSON object', value);
  if (value.format !== RESULTS_FORMAT)
    fail('$.format', `"${RESULTS_FORMAT}" (not a gluon-loss bench results file)`, value.format);
  if (value.formatVersion !== FORMAT_VERSION) fail('$.formatVersion', String(FORMAT_VERSION), value.formatVersion);
  for (const k of ['startedAt', 'finishedAt']) {
    if (Number.isNaN(Date.parse(str(value, k, '$')))) fail(`$.${k}`, 'an ISO date', value[k]);
  }
  const machine = obj(value, 'machine', '$');
  str(machine, 'cpu', '$.machine');
  num(machine, 'cores', '$.machine');
  str(machine, 'node', '$.machine');
  const versions = obj(value, 'versions', '$');
  for (const [k, v] of Object.entries(versions)) if (typeof v !== 'string') fail(`$.versions.${k}`, 'a string', v);
  arr(value, 'backends', '$').forEach((b, i) => {
    if (!isObject(b) || typeof b.name !== 'string' || typeof b.available !== 'boolean')
      fail(`$.backends[${i}]`, '{ name, available }', b);
  });
  checkCells(arr(value, 'cells', '$'), '$.cells');
  const reference = obj(value, 'reference', '$');
  const mxnet = obj(reference, 'mxnet', '$.reference');
  if (!SECTION_STATUSES.includes(str(mxnet, 'status', '$.reference.mxnet')))
    fail('$.reference.mxnet.status', SECTION_STATUSES.join(' | '), mxnet.status);
  checkCells(arr(mxnet, 'cells', '$.reference.mxnet'), '$.reference.mxnet.cells');
  if (reference.jax !== undefined) {
    const jax = obj(reference, 'jax', '$.reference');
    if (!SECTION_STATUSES.includes(str(jax, 'status', '$.reference.jax')))
      fail('$.reference.jax.status', SECTION_STATUSES.join(' | '), jax.status);
    checkCells(arr(jax, 'cells', '$.reference.jax'), '$.reference.jax.cells');
  }
  checkCells(
    arr(obj(reference, 'tfjsBuiltin', '$.reference'), 'cells', '$.reference.tfjsBuiltin'),
    '$.reference.tfjsBuiltin.cells',
  );
  arr(reference, 'roofline', '$.reference').forEach((r, i) => {
    const path = `$.reference.roofline[${i}]`;
    if (!isObject(r)) fail(path, 'an object', r);
    for (const k of ['elements', 'bytes', 'medianMs', 'gbPerS']) num(r, k, path);
  });
  if (value.router !== undefined) {
    const router = obj(value, 'router', '$');
    checkCells(arr(router, 'cells', '$.router'), '$.router.cells');
  }
  return value as unknown as BenchResults;
}

/** The file name of a run: its UTC start time, so that names sort by time. */
export function resultsFileName(startedAt: Date): string {
  return `${startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z')}.json`;
}
