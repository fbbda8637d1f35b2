/**
 * MXNet 1.9.1 behind a pipe: conformance/generator/oracle.py in the generator's venv, one
 * JSON request and one answer a line. A crash of MXNet (it reads out of bounds on some
 * inputs) fails the requests in flight and the next request starts a fresh process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import type { GoldenCaseJson } from '@gluon-loss/golden';
import { stringifyGolden } from './encode.js';

export type OracleAnswer = Pick<GoldenCaseJson, 'headGrad' | 'expected' | 'error'> & {
  /** MXNet answered the same call differently twice (it read uninitialised memory). */
  readonly nondeterministic?: true;
};

export class OracleError extends Error {
  override readonly name = 'OracleError';
}

const generatorDir = join(dirname(defaultGoldenDir), 'generator');

/** The generator's venv (`.venv` at the repository root), or GLUON_PYTHON. */
export function defaultPython(): string {
  if (process.env.GLUON_PYTHON) return process.env.GLUON_PYTHON;
  const venv = resolve(generatorDir, '..', '..', '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

interface Pending {
  resolve(answer: OracleAnswer): void;
  reject(e: Error): void;
}

export class Oracle {
  #child: ChildProcessWithoutNullStreams | undefined;
  #pending: Pending[] = [];
  #stderr = '';
  /** Requests answered so far, and processes started (more than one means MXNet crashed). */
  answered = 0;
  starts = 0;

  constructor(readonly python: string = defaultPython()) {}

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.python, [join(generatorDir, 'oracle.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.starts++;
    this.#stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const next = this.#pending.shift();
      if (next === undefined) return;
      this.answered++;
      const answer = JSON.parse(line) as OracleAnswer & { oracleError?: string };
      if (answer.oracleError !== undefined) next.reject(new OracleError(answer.oracleError));
      else next.resolve(answer);
    });
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      const failed = this.#pending.splice(0);
      const why = `MXNet's oracle exited (${signal ?? `code ${code}`}): ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const p of failed) p.reject(new OracleError(why));
    });
    child.stdin.on('error', () => {
      // the exit handler reports it
    });
    return child;
  }

  ask(request: object): Promise<OracleAnswer> {
    this.#child ??= this.#start();
    const child = this.#child;
    return new Promise<OracleAnswer>((resolvePromise, reject) => {
      this.#pending.push({ resolve: resolvePromise, reject });
      child.stdin.write(stringifyGolden(request) + '\n');
    });
  }

  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }
}
