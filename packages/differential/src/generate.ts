/**
 * The cases of a run: `count` cases spread evenly over the selected losses, each drawn
 * from its loss's space by a seed that depends only on (run seed, loss, index), so a run
 * is the same on every machine and a case can be redrawn alone.
 */
import { LOSS_NAMES, type CanonicalLossName } from '@gluon-loss/spec';
import picomatch from 'picomatch';
import type { CaseDraw, CaseInputs } from './case.js';
import { balancedPicker, caseSeed, Rng } from './rng.js';
import { SPACES } from './space/index.js';

export interface DrawnCase {
  /** `Loss/diff-<seed>-<index>`: the golden name it gets if written out. */
  readonly name: string;
  readonly draw: CaseDraw;
  readonly inputs: CaseInputs;
  readonly classes: readonly string[];
}

export function selectLosses(filter?: string): CanonicalLossName[] {
  if (filter === undefined) return [...LOSS_NAMES];
  const match = picomatch(filter, { windows: false });
  return LOSS_NAMES.filter((l) => match(l));
}

export function buildCase(name: string, draw: CaseDraw): DrawnCase {
  const space = SPACES[draw.loss];
  return { name, draw, inputs: space.build(draw, new Rng(draw.seed)), classes: space.classify(draw) };
}

export function drawCase(runSeed: number, loss: CanonicalLossName, index: number): DrawnCase {
  const seed = caseSeed(runSeed, loss, index);
  const structure = SPACES[loss].draw(balancedPicker(runSeed, loss, index), new Rng(seed ^ 0x9e3779b9));
  return buildCase(`${loss}/diff-${runSeed}-${index}`, { ...structure, loss, seed });
}

export function drawCases(runSeed: number, count: number, losses: readonly CanonicalLossName[]): DrawnCase[] {
  const perLoss = Math.ceil(count / losses.length);
  const out: DrawnCase[] = [];
  for (const loss of losses) for (let i = 0; i < perLoss; i++) out.push(drawCase(runSeed, loss, i));
  return out;
}
