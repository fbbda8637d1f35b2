/**
 * A native anchor in Python (MXNet, JAX): one process started for the run with the
 * anchor's own venv, fed one case at a time (python/bench_protocol.py is the other side).
 * Each case's inputs go to a temporary binary file that the script reads with numpy, so
 * the anchor times exactly the arrays the backends are timed on. The bench waits for each
 * answer, so an anchor never runs beside a backend on the machine's cores. A crash
 * (MXNet's CTC can segfault) fails the cell it happened in; the next case starts a fresh
 * process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Cell, Mode } from './format.js';
import { packTensors, shapesOf, type PreparedCase } from './inputs.js';
import type { TimingSettings } from './measure.js';

/** A script of packages/bench/python. */
export const pythonScript = (name: string): string =>
  resolve(dirname(fileURLToPath(import.meta.url)), '..', 'python', name);

export interface AnchorOptions {
  /** The cells' backend name: `mxnet`, `jax`. */
  readonly name: string;
  /** Words for messages: `MXNet`, `JAX`. */
  readonly title: string;
  /** The script in packages/bench/python that answers the protocol. */
  readonly script: string;
  /** The Python of the anchor's venv. */
  readonly python: string;
  /** How that venv is made, for the message when it is missing. */
  readonly setupHint: string;
  /** Variables set for the process on top of the bench's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly timing: TimingSettings;
  /** Notes for an ok cell from the script's `path` field (e.g. MXNet's imperative path). */
  readonly notes?: Readonly<Record<string, string>>;
}

interface Message {
  readonly event: 'ready' | 'start' | 'cell' | 'done';
  readonly [key: string]: unknown;
}

/** The Python process and the line-by-line conversation with it. */
class PythonProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #queue: Message[] = [];
  #waiting: ((m: Message | undefined) => void) | undefined;
  #exited: string | undefined;
  readonly #stderr: string[] = [];

  constructor(python: string, script: string, env: NodeJS.ProcessEnv, title: string) {
    this.#child = spawn(python, ['-u', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        return; // the library's own prints; the protocol lines are JSON
      }
      this.#deliver(message);
    });
    createInterface({ input: this.#child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
    this.#child.on('error', (e) => this.#exit(`could not start ${python}: ${e.message}`));
    this.#child.on('exit', (code, signal) => this.#exit(`the ${title} process exited (${signal ?? `code ${code}`})`));
  }

  get exited(): string | undefined {
    return this.#exited;
  }

  /** The last lines the process wrote to stderr: the reason when it dies. */
  stderrTail(): string {
    return this.#stderr
      .filter((l) => l.trim() !== '')
      .slice(-3)
      .join(' | ');
  }

  send(request: unknown): void {
    this.#child.stdin.write(`${JSON.stringify(request)}\n`);
  }

  /** The next message, or undefined once the process has exited. */
  next(): Promise<Message | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#exited !== undefined) return Promise.resolve(undefined);
    return new Promise((ok) => (this.#waiting = ok));
  }

  close(): void {
    this.#child.stdin.end();
    if (this.#exited === undefined) this.#child.kill();
  }

  #deliver(m: Message | undefined): void {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting(m);
    } else if (m !== undefined) {
      this.#queue.push(m);
    }
  }

  #exit(reason: string): void {
    if (this.#exited !== undefined) return;
    this.#exited = reason;
    this.#deliver(undefined);
  }
}

/** The ready line's fields: the anchor's versions and settings, as strings. */
export type AnchorInfo = Readonly<Record<string, string>>;

export class AnchorWorker {
  readonly #dir = mkdtempSync(join(tmpdir(), 'gluon-bench-'));
  #process: PythonProcess | undefined;
  #info: AnchorInfo | undefined;
  #nextId = 0;

  constructor(readonly options: AnchorOptions) {}

  /** Starts Python and waits for the library to import; rejects with the reason it cannot. */
  async start(): Promise<AnchorInfo> {
    const { python, script, title } = this.options;
    if (!existsSync(python)) throw new Error(`no Python at ${python} (${this.options.setupHint})`);
    const proc = new PythonProcess(python, script, { ...process.env, ...this.options.env }, title);
    const ready = await proc.next();
    if (ready?.event !== 'ready') {
      proc.close();
      throw new Error(
        `${title} did not start: ${proc.exited ?? 'unexpected output'}${proc.stderrTail() ? `: ${proc.stderrTail()}` : ''}`,
      );
    }
    this.#process = proc;
    const { event: _event, ...info } = ready;
    this.#info = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, String(v)]));
    return this.#info;
  }

  /** Times the case's modes in the anchor; every mode asked for gets a cell, ok, unsupported or failed. */
  async run(prepared: PreparedCase, modes: readonly Mode[]): Promise<Cell[]> {
    const { benchCase } = prepared;
    const base = {
      loss: benchCase.loss,
      size: benchCase.size,
      elements: benchCase.elements,
      shapes: shapesOf(prepared),
      backend: this.options.name,
    };
    const bytes = (mode: Mode): number => (mode === 'forward' ? prepared.forwardBytes : prepared.forwardBackwardBytes);
    const failAll = (reason: string, from: readonly Mode[]): Cell[] =>
      from.map((mode) => ({ ...base, bytes: bytes(mode), mode, status: 'failed' as const, reason }));
    if (this.#process === undefined || this.#process.exited !== undefined) {
      try {
        await this.start();
      } catch (e) {
        return failAll((e as Error).message, modes);
      }
    }
    const proc = this.#process!;
    const id = this.#nextId++;
    const given = Object.entries(prepared.inputs);
    const tensors = [...given.map(([, t]) => t), prepared.headGrad];
    const { buffer, offsets } = packTensors(tensors);
    const file = join(this.#dir, `case-${id}.bin`);
    writeFileSync(file, buffer);
    proc.send({
      id,
      loss: benchCase.loss,
      config: benchCase.config,
      file,
      inputs: given.map(([name, t], i) => ({ name, shape: t.shape, offset: offsets[i] })),
      headGrad: { shape: prepared.outputShape, offset: offsets[tensors.length - 1] },
      gradInputs: prepared.gradInputs,
      modes,
      timing: this.options.timing,
    });
    const cells: Cell[] = [];
    let current: Mode | undefined;
    try {
      for (;;) {
        const m = await proc.next();
        if (m === undefined) {
          const reason = `${proc.exited ?? `the ${this.options.title} process stopped`}${current ? ` during ${current}` : ''}${proc.stderrTail() ? `: ${proc.stderrTail()}` : ''}`;
          const done = new Set(cells.map((c) => c.mode));
          return [
            ...cells,
            ...failAll(
              reason,
              modes.filter((mode) => !done.has(mode)),
            ),
          ];
        }
        if (m.event === 'start') current = m.mode as Mode;
        if (m.event === 'cell') {
          const { event: _event, id: _id, mode, path, ...timing } = m;
          const cell = {
            ...base,
            bytes: bytes(mode as Mode),
            mode: mode as Mode,
            ...(timing as Partial<Cell>),
          } as Cell;
          const note = typeof path === 'string' ? this.options.notes?.[path] : undefined;
          cells.push(note === undefined ? cell : { ...cell, note });
        }
        if (m.event === 'done' && m.id === id) return cells;
      }
    } finally {
      rmSync(file, { force: true });
    }
  }

  close(): void {
    this.#process?.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
