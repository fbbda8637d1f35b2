/**
 * MXNet 1.9.1 behind a pipe: conformance/generator/oracle.py in the generator's venv, one
 * JSON request and one answer a line. A crash of MXNet (it reads out of bounds on some
 * inputs) fails the requests in flight and the next request starts a fresh process.
 *
 * On the pipe a tensor's `data` is its little-endian bytes in base64 (`toWire`,
 * `fromWire`): writing and parsing 64K-element tensors as JSON numbers, on both sides,
 * cost more than MXNet's own arithmetic. The caller sees the goldens' JSON form only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import type { GoldenCaseJson, GoldenNumber } from '@gluon-loss/golden';
import { goldenNumber, stringifyGolden } from './encode.js';

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

type WireDtype = 'float32' | 'float64' | 'int32';
const WIRE_ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

interface WireData {
  readonly b64: string;
  /** A byte per element, 1 where the golden tensor has null (an element MXNet leaves undefined). */
  readonly undefined?: string;
}

function isTensorJson(v: unknown): v is { dtype: WireDtype; shape: number[]; data: unknown } {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

function tokenValue(t: GoldenNumber | null): number {
  return typeof t === 'number' ? t : Number(t);
}

/** A request with each tensor's JSON numbers (and 'NaN', '±Infinity' tokens) as base64 bytes. */
export function toWire(value: unknown): unknown {
  if (isTensorJson(value) && Array.isArray(value.data)) {
    const Typed = WIRE_ARRAYS[value.dtype];
    const values = new Typed((value.data as GoldenNumber[]).length);
    (value.data as GoldenNumber[]).forEach((t, i) => (values[i] = tokenValue(t)));
    const b64 = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
    return { ...value, data: { b64 } satisfies WireData };
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  }
  return value;
}

/** An answer with each base64 tensor back in the goldens' form: numbers, tokens, null where undefined. */
export function fromWire(value: unknown): unknown {
  if (isTensorJson(value) && typeof value.data === 'object' && value.data !== null && 'b64' in value.data) {
    const wire = value.data as WireData;
    const bytes = Buffer.from(wire.b64, 'base64');
    const Typed = WIRE_ARRAYS[value.dtype];
    // A copy: a Buffer's offset need not be aligned to the element size.
    const values = new Typed(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const undefinedMask = wire.undefined === undefined ? undefined : Buffer.from(wire.undefined, 'base64');
    const data = Array.from(values, (v, i) => (undefinedMask?.[i] ? null : goldenNumber(v)));
    return { ...value, data };
  }
  if (Array.isArray(value)) return value.map(fromWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
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
      const answer = fromWire(JSON.parse(line)) as OracleAnswer & { oracleError?: string };
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
      child.stdin.write(stringifyGolden(toWire(request)) + '\n');
    });
  }

  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }
}
