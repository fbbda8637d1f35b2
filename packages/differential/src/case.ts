/**
 * What the differential tester draws: a case's structure (config, dims, value class and
 * structural options), from which a loss's space builds the inputs. The minimizer edits
 * the structure and rebuilds, so every space must build valid inputs from any dims.
 */
import type { CanonicalLossName, LossName, Tensor } from '@gluon-loss/spec';
import type { Rng } from './rng.js';
import type { ValueClass } from './values.js';

export type CaseInputs = Record<string, Tensor | number>;

export interface CaseDraw {
  readonly loss: CanonicalLossName;
  /** The name the loss is built by: the canonical name or an alias. */
  readonly name: LossName;
  /** Constructor arguments, MXNet's names; keys left out take MXNet's defaults. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The sizes the space builds its tensors from (a loss-specific meaning). */
  readonly dims: readonly number[];
  readonly valueClass: ValueClass;
  /** Structural choices (which optional inputs, label kinds, broadcast shapes). */
  readonly options: Readonly<Record<string, string>>;
  /** Seeds the values; the structure above is drawn separately. */
  readonly seed: number;
}

/**
 * Picks a value of a named domain so that, over consecutive cases of one loss, every value
 * comes round equally often (a fresh shuffle of the domain for each round). Coverage then
 * holds for any seed, not just on average.
 */
export type Picker = <T>(key: string, domain: readonly T[]) => T;

export interface LossSpace {
  readonly loss: CanonicalLossName;
  /** Every coverage class the space promises (the CI sample must hold 20 of each). */
  readonly classes: readonly string[];
  /** Draws the structure of one case: `pick` for what coverage counts, `rng` for the rest. */
  draw(pick: Picker, rng: Rng): Omit<CaseDraw, 'loss' | 'seed'>;
  /** Builds inputs for a draw (any dims: the minimizer shrinks them). */
  build(draw: CaseDraw, rng: Rng): CaseInputs;
  /** The coverage classes a draw belongs to. */
  classify(draw: CaseDraw): string[];
  /** For each option, the simpler values the minimizer tries, simplest first. */
  readonly simplerOptions: Readonly<Record<string, readonly string[]>>;
}
