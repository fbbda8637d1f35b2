/**
 * Shrinks a disagreeing case to the smallest structure that still disagrees: config keys
 * back to MXNet's defaults, options to their simplest values, ordinary values, fewer and
 * shorter axes. Each candidate is rebuilt from its structure, answered by MXNet and run on
 * the one backend; a candidate is kept when the backend still fails it. Greedy, bounded.
 */
import { runConformance } from '@gluon-loss/conformance';
import { sizeOf, type Backend } from '@gluon-loss/spec';
import type { CaseDraw } from './case.js';
import { goldenRecords, suiteOf } from './differential.js';
import { buildCase, type DrawnCase } from './generate.js';
import type { Oracle } from './oracle.js';
import { SPACES } from './space/index.js';
import type { GoldenCaseJson } from '@gluon-loss/golden';

export interface Minimized {
  /** The reproduction as a golden case (MXNet's values included), ready to be written out. */
  readonly golden: GoldenCaseJson;
  readonly draw: CaseDraw;
  readonly message: string;
  /** Candidates tried. */
  readonly tries: number;
  readonly elements: number;
}

const MAX_TRIES = 120;

function elements(c: DrawnCase): number {
  let n = 0;
  for (const v of Object.values(c.inputs)) n += typeof v === 'number' ? 1 : sizeOf(v.shape);
  return n;
}

function* candidates(draw: CaseDraw): Generator<CaseDraw> {
  for (const key of Object.keys(draw.config)) {
    const config = { ...draw.config };
    delete config[key];
    yield { ...draw, config };
  }
  const simpler = SPACES[draw.loss].simplerOptions;
  for (const [key, value] of Object.entries(draw.options)) {
    const domain = simpler[key] ?? [];
    for (const v of domain.slice(0, Math.max(0, domain.indexOf(value))))
      yield { ...draw, options: { ...draw.options, [key]: v } };
  }
  if (draw.valueClass !== 'ordinary') yield { ...draw, valueClass: 'ordinary' };
  const variableRank = SPACES[draw.loss].classes.includes('rank=1') && SPACES[draw.loss].classes.includes('rank=8');
  for (let i = 0; i < draw.dims.length; i++) {
    if (variableRank && draw.dims.length > 1) yield { ...draw, dims: draw.dims.filter((_, j) => j !== i) };
    const d = draw.dims[i]!;
    for (const smaller of new Set([1, Math.ceil(d / 2), d - 1])) {
      if (smaller >= 1 && smaller < d) yield { ...draw, dims: draw.dims.map((x, j) => (j === i ? smaller : x)) };
    }
  }
}

async function stillFails(c: DrawnCase, backend: Backend, oracle: Oracle) {
  const [record] = await goldenRecords(oracle, [c]);
  if (record === undefined) return undefined;
  const report = await runConformance({ backends: [backend], suite: suiteOf([record]) });
  const result = report.results[0];
  return result && (result.status === 'fail' || result.status === 'error')
    ? { record, message: result.message ?? result.status }
    : undefined;
}

export async function minimize(start: DrawnCase, backend: Backend, oracle: Oracle): Promise<Minimized | undefined> {
  const first = await stillFails(start, backend, oracle);
  if (first === undefined) return undefined; // it passed alone: a state-dependent failure, reported as it is
  let best = { drawn: start, ...first };
  let tries = 1;
  let improved = true;
  while (improved && tries < MAX_TRIES) {
    improved = false;
    for (const draw of candidates(best.drawn.draw)) {
      if (tries >= MAX_TRIES) break;
      const drawn = buildCase(start.name, draw);
      tries++;
      let failing;
      try {
        failing = await stillFails(drawn, backend, oracle);
      } catch {
        continue; // a structure the space cannot build
      }
      if (failing !== undefined) {
        best = { drawn, ...failing };
        improved = true;
        break;
      }
    }
  }
  return { golden: best.record, draw: best.drawn.draw, message: best.message, tries, elements: elements(best.drawn) };
}
