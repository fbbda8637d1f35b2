/** A drawn case as a golden case (the format of conformance/golden), in memory and as text. */
import type { GoldenCaseJson, GoldenFileJson, GoldenNumber, GoldenTensorJson } from '@gluon-loss/golden';
import { dtypeOf, type Tensor } from '@gluon-loss/spec';
import type { DrawnCase } from './generate.js';

export function goldenNumber(v: number): GoldenNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function tensorJson(t: Tensor): GoldenTensorJson {
  return { dtype: dtypeOf(t.data) ?? 'float32', shape: [...t.shape], data: Array.from(t.data, goldenNumber) };
}

/** The request the oracle answers: the case without MXNet's values. */
export function requestOf(c: DrawnCase): Omit<GoldenCaseJson, 'expected' | 'error' | 'headGrad'> {
  const inputs: Record<string, GoldenTensorJson | GoldenNumber> = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = typeof v === 'number' ? goldenNumber(v) : tensorJson(v);
  return {
    name: c.name,
    loss: c.draw.name,
    description: `differential: ${c.classes.join(', ')}`,
    config: c.draw.config,
    inputs,
  };
}

export function goldenFile(loss: string, cases: readonly GoldenCaseJson[]): GoldenFileJson {
  return {
    format: 'gluon-loss-golden',
    formatVersion: 2,
    reference: { mxnet: '1.9.1', mode: 'ndarray-imperative-classic' },
    loss,
    cases,
  };
}

/**
 * JSON text in which -0 stays -0 (JSON.stringify writes it as 0, and MXNet tells them
 * apart: 1 / -0 is -inf).
 */
export function stringifyGolden(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? '@@-0@@' : v),
    indent,
  ).replace(/"@@-0@@"/g, '-0.0');
}
