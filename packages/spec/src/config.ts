/**
 * The building blocks of every loss's config schema, and the translation of zod's
 * issues into ConfigErrors. A parameter is declared once, here or in its loss's spec
 * file, with MXNet's name, MXNet's default, what it accepts (`expects`, used in error
 * messages) and a sentence of documentation (used by the generated config reference).
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

export interface ParamMeta {
  /** Shown in the generated docs. */
  readonly description: string;
  /** Completes "expected ..." in a ConfigError. */
  readonly expects: string;
}

function withMeta<T extends z.ZodType>(schema: T, meta: ParamMeta): T {
  return schema.meta({ ...meta }) as T;
}

/**
 * `weight`: MXNet's global scalar weight. MXNet only asserts that it is a number; NaN and
 * infinities are rejected here (zod's `number()` refuses them), the one place the spec is
 * stricter than MXNet.
 */
export function weightParam(defaultValue: null, description?: string): z.ZodDefault<z.ZodNullable<z.ZodNumber>>;
export function weightParam(defaultValue: number, description?: string, nullable?: false): z.ZodDefault<z.ZodNumber>;
export function weightParam(
  defaultValue: number,
  description: string,
  nullable: true,
): z.ZodDefault<z.ZodNullable<z.ZodNumber>>;
export function weightParam(
  defaultValue: number | null,
  description = 'Global scalar weight for loss; `null` applies none.',
  nullable = defaultValue === null,
): z.ZodType {
  const base = nullable ? z.number().nullable() : z.number();
  return withMeta(base.default(defaultValue as never), {
    description,
    expects: nullable ? 'a finite number or null' : 'a finite number',
  });
}

export function batchAxisParam(description = 'The axis that represents minibatch.') {
  return withMeta(z.number().int().default(0), {
    description,
    expects: 'an integer axis',
  });
}

export function numberParam(defaultValue: number, description: string) {
  return withMeta(z.number().default(defaultValue), {
    description,
    expects: 'a finite number',
  });
}

/** A number MXNet divides by: 0 (or -0) raises ZeroDivisionError there at the first call. */
export function nonZeroNumberParam(defaultValue: number, description: string) {
  return withMeta(
    z
      .number()
      .refine((v) => v !== 0)
      .default(defaultValue),
    { description, expects: 'a finite nonzero number (MXNet divides by it)' },
  );
}

export function intParam(defaultValue: number, description: string) {
  return withMeta(z.number().int().default(defaultValue), {
    description,
    expects: 'an integer',
  });
}

export function boolParam(defaultValue: boolean, description: string) {
  return withMeta(z.boolean().default(defaultValue), {
    description,
    expects: 'a boolean',
  });
}

export function enumParam<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
  description: string,
) {
  return withMeta(z.enum(values).default(defaultValue as never), {
    description,
    expects: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
  });
}

export type ConfigSchema = z.ZodObject<Record<string, z.ZodType>, z.core.$strict>;

export function paramMeta(schema: ConfigSchema, key: string): ParamMeta | undefined {
  const field = schema.shape[key];
  if (field === undefined) return undefined;
  return z.globalRegistry.get(field) as ParamMeta | undefined;
}

function formatValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  const ctor = typeof v === 'object' ? (v as { constructor?: { name?: unknown } }).constructor : undefined;
  if (ctor !== undefined && ctor !== Object && typeof ctor.name === 'string') return `a ${ctor.name}`;
  return typeof v;
}

/**
 * Parses a user config with a loss's schema. Throws a ConfigError for the first problem,
 * naming the loss, the key and what the key accepts.
 */
export function parseConfigWith<S extends ConfigSchema>(loss: string, schema: S, config: unknown): z.output<S> {
  const raw = config ?? {};
  // A plain object only: a Map (or a class instance) has no own keys for the schema to
  // read, so its settings would be dropped without a word.
  const proto = typeof raw === 'object' ? Object.getPrototypeOf(raw) : undefined;
  if (typeof raw !== 'object' || (proto !== Object.prototype && proto !== null)) {
    throw new ConfigError({
      loss,
      argument: 'config',
      expected: 'an object of constructor parameters',
      received: formatValue(raw),
    });
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new ConfigError({
      loss,
      argument: key,
      expected: `a known parameter (${Object.keys(schema.shape).join(', ')})`,
      received: `unknown key ${JSON.stringify(key)}`,
    });
  }
  const key = String(issue.path[0] ?? 'config');
  throw new ConfigError({
    loss,
    argument: key,
    expected: paramMeta(schema, key)?.expects ?? issue.message,
    received: formatValue((raw as Record<string, unknown>)[key]),
  });
}
