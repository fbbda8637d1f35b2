/**
 * The MXNet anchor: one Python process (the repo's .venv, mxnet==1.9.1, as the golden
 * generator pins it) started for the run, fed one case at a time. Each case's inputs go
 * to a temporary binary file that the script reads with numpy, so MXNet times exactly the
 * arrays the backends are timed on. The bench waits for each answer, so MXNet never runs
 * beside a backend on the machine's cores. A crash (MXNet's CTC can segfault) fails the
 * cell it happened in; the next case starts a fresh process.
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

export const MXNET_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'mxnet_bench.py');

export interface MxnetOptions {
  /** The Python with mxnet==1.9.1 and numpy==1.23.5 (default: the repo's .venv). */
  readonly python: string;
  /** OMP_NUM_THREADS for MXNet, or 'default' to leave MXNet's own choice. */
  readonly threads: number | 'default';
  readonly timing: TimingSettings;
}

export interface MxnetInfo {
  readonly mxnet: string;
  readonly numpy: string;
  readonly python: string;
  readonly engine: string;
  readonly ompThreads: string;
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

  constructor(python: string, env: NodeJS.ProcessEnv) {
    this.#child = spawn(python, ['-u', MXNET_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        return; // MXNet's own prints; the protocol lines are JSON
      }
      this.#deliver(message);
    });
    createInterface({ input: this.#child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
    this.#child.on('error', (e) => this.#exit(`could not start ${python}: ${e.message}`));
    this.#child.on('exit', (code, signal) => this.#exit(`the MXNet process exited (${signal ?? `code ${code}`})`));
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

export class MxnetWorker {
  readonly #dir = mkdtempSync(join(tmpdir(), 'gluon-bench-'));
  #process: PythonProcess | undefined;
  #info: MxnetInfo | undefined;
  #nextId = 0;

  constructor(readonly options: MxnetOptions) {}

  /** Starts Python and waits for MXNet to import; rejects with the reason it cannot. */
  async start(): Promise<MxnetInfo> {
    if (!existsSync(this.options.python)) {
      throw new Error(`no Python at ${this.options.python} (scripts/setup.sh creates .venv with mxnet==1.9.1)`);
    }
    const env = { ...process.env };
    if (this.options.threads !== 'default') env.OMP_NUM_THREADS = String(this.options.threads);
    const proc = new PythonProcess(this.options.python, env);
    const ready = await proc.next();
    if (ready?.event !== 'ready') {
      proc.close();
      throw new Error(
        `MXNet did not start: ${proc.exited ?? 'unexpected output'}${proc.stderrTail() ? `: ${proc.stderrTail()}` : ''}`,
      );
    }
    this.#process = proc;
    this.#info = ready as unknown as MxnetInfo;
    return this.#info;
  }

  /** Times the case's modes in MXNet; every mode asked for gets a cell, ok or failed. */
  async run(prepared: PreparedCase, modes: readonly Mode[]): Promise<Cell[]> {
    const { benchCase } = prepared;
    const base = {
      loss: benchCase.loss,
      size: benchCase.size,
      elements: benchCase.elements,
      shapes: shapesOf(prepared),
      backend: 'mxnet',
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
          const reason = `${proc.exited ?? 'the MXNet process stopped'}${current ? ` during ${current}` : ''}${proc.stderrTail() ? `: ${proc.stderrTail()}` : ''}`;
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
          cells.push(
            path === 'imperative' ? { ...cell, note: 'imperative: MXNet 1.9.1 cannot hybridize this loss' } : cell,
          );
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
