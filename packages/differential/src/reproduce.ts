/**
 * A minimized disagreement as something to keep: a golden file of the reproductions, and
 * the `Case(...)` lines to paste into conformance/generator/cases.py, which regenerate the
 * same inputs from MXNet and so pin the fix for good.
 */
import type { GoldenCaseJson, GoldenTensorJson } from '@gluon-loss/golden';
import { canonicalLossName } from '@gluon-loss/spec';
import type { Finding } from './differential.js';
import { goldenFile } from './encode.js';

function pyNumber(v: unknown): string {
  if (v === 'NaN') return "float('nan')";
  if (v === 'Infinity') return "float('inf')";
  if (v === '-Infinity') return "-float('inf')";
  if (typeof v === 'number' && Object.is(v, -0)) return '-0.0';
  return String(v);
}

function pyValue(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v}'`;
  return pyNumber(v);
}

function pyTensor(t: GoldenTensorJson | number | string): string {
  if (typeof t !== 'object') return pyNumber(t);
  return `f32([${t.data.map(pyNumber).join(', ')}]).reshape(${JSON.stringify(t.shape).replace('[', '(').replace(']', ',)')})`;
}

/** The case's Python form for cases.py, named `name` (without the loss prefix). */
export function casesPyLine(golden: GoldenCaseJson, name: string, description: string): string {
  const inputs = Object.entries(golden.inputs)
    .map(([k, v]) => `'${k}': ${pyTensor(v)}`)
    .join(', ');
  const config = `{${Object.entries(golden.config)
    .map(([k, v]) => `'${k}': ${pyValue(v)}`)
    .join(', ')}}`;
  const ints = Object.entries(golden.inputs)
    .filter(([, v]) => typeof v === 'object' && v.dtype === 'int32')
    .map(([k]) => `'${k}',`);
  const loss = canonicalLossName(golden.loss);
  return [
    `        # found by the differential tester (${loss})`,
    `        Case('${name}', ${JSON.stringify(description)},`,
    `             lambda r: {${inputs}},`,
    `             ${config}${ints.length ? `, int32=(${ints.join(' ')})` : ''}${golden.loss !== loss ? `, alias='${golden.loss}'` : ''}),`,
  ].join('\n');
}

/** Loss -> golden file of the minimized reproductions among `findings`. */
export function reproductionFiles(findings: readonly Finding[]): Map<string, object> {
  const byLoss = new Map<string, GoldenCaseJson[]>();
  for (const f of findings) {
    if (f.minimized === undefined) continue;
    const cases = byLoss.get(f.loss) ?? [];
    cases.push({ ...f.minimized.golden, description: `${f.backend}: ${f.minimized.message}`.slice(0, 300) });
    byLoss.set(f.loss, cases);
  }
  return new Map([...byLoss].map(([loss, cases]) => [loss, goldenFile(loss, cases)]));
}
