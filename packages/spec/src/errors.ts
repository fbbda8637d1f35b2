/**
 * Typed errors. Every error that gluon-loss raises on purpose is a `GluonLossError`
 * with a `kind`, the loss it concerns, the argument at fault and what was expected, so
 * callers can branch on the class (or on `kind`, which survives structured cloning
 * between a page and a test runner) instead of parsing messages.
 */

export type ErrorKind =
  | 'unknown-loss'
  | 'config'
  | 'input'
  | 'shape'
  | 'dtype'
  | 'unsupported'
  | 'backend-unavailable'
  | 'backend-failure'
  | 'disposed';

export interface ErrorDetails {
  /** The loss as the caller named it (or its canonical name). */
  readonly loss?: string | undefined;
  /** The config key or input name at fault. */
  readonly argument?: string | undefined;
  /** What would have been accepted. */
  readonly expected?: string | undefined;
  /** What was given, already formatted for a message. */
  readonly received?: string | undefined;
  readonly cause?: unknown;
}

export abstract class GluonLossError extends Error {
  abstract readonly kind: ErrorKind;
  readonly loss: string | undefined;
  readonly argument: string | undefined;
  readonly expected: string | undefined;
  readonly received: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.loss = details.loss;
    this.argument = details.argument;
    this.expected = details.expected;
    this.received = details.received;
  }
}

/** "L2Loss: label: expected ..., got ..." — the one message shape for argument errors. */
function argumentMessage(d: ErrorDetails): string {
  const where = [d.loss, d.argument].filter((s) => s !== undefined && s !== '').join(': ');
  const got = d.received === undefined ? '' : `, got ${d.received}`;
  return `${where}: expected ${d.expected ?? 'a valid value'}${got}`;
}

export class UnknownLossError extends GluonLossError {
  readonly kind = 'unknown-loss';
  constructor(name: string, known: readonly string[]) {
    const expected = `one of ${known.join(', ')}`;
    super(`unknown loss ${JSON.stringify(name)}: expected ${expected}`, {
      loss: name,
      argument: 'loss',
      expected,
      received: JSON.stringify(name),
    });
  }
}

/** A constructor config key that is unknown, mistyped or out of range. */
export class ConfigError extends GluonLossError {
  readonly kind = 'config';
  constructor(details: ErrorDetails & { loss: string; argument: string; expected: string }) {
    super(argumentMessage(details), details);
  }
}

/** A forward input that is unknown, missing, or has a value the loss cannot take. */
export class InputError extends GluonLossError {
  readonly kind: ErrorKind = 'input';
  constructor(details: ErrorDetails & { loss: string; argument: string; expected: string }) {
    super(argumentMessage(details), details);
  }
}

/** Shapes that do not fit together; the message names both shapes. */
export class ShapeError extends InputError {
  override readonly kind = 'shape';
}

/** An input whose typed array is not one the dtype policy accepts. */
export class DtypeError extends InputError {
  override readonly kind = 'dtype';
}

/** A backend that does not implement a loss (or one of its options). */
export class UnsupportedError extends GluonLossError {
  readonly kind = 'unsupported';
  readonly backend: string;
  constructor(backend: string, loss: string, reason: string) {
    super(`${loss}: backend ${backend} does not support it: ${reason}`, {
      loss,
      argument: 'backend',
      expected: 'a backend that implements this loss',
      received: backend,
    });
    this.backend = backend;
  }
}

/** A backend that cannot run here (missing package, no WebGPU adapter, failed init). */
export class BackendUnavailableError extends GluonLossError {
  readonly kind = 'backend-unavailable';
  readonly backend: string;
  constructor(backend: string, reason: string, cause?: unknown) {
    super(`backend ${backend} is not available: ${reason}`, {
      argument: 'backend',
      expected: 'an available backend',
      received: backend,
      cause,
    });
    this.backend = backend;
  }
}

/** A backend that threw while running a call it had accepted. */
export class BackendFailureError extends GluonLossError {
  readonly kind = 'backend-failure';
  readonly backend: string;
  constructor(backend: string, loss: string, reason: string, cause?: unknown) {
    super(`${loss}: backend ${backend} failed: ${reason}`, {
      loss,
      argument: 'backend',
      received: backend,
      cause,
    });
    this.backend = backend;
  }
}

/** A compiled loss used after `dispose()`. */
export class DisposedError extends GluonLossError {
  readonly kind = 'disposed';
  constructor(loss: string, backend: string) {
    super(`${loss}: this compiled loss on ${backend} was disposed`, {
      loss,
      expected: 'a compiled loss that has not been disposed',
    });
  }
}

export function isGluonLossError(e: unknown): e is GluonLossError {
  return e instanceof GluonLossError;
}
