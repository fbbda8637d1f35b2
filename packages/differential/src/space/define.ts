/**
 * A loss's case space from its domains: the config values, the structural options, the
 * ranks and the value classes the generator cycles through. Every value of every domain
 * is a coverage class; the balanced picker brings each one round equally often.
 */
import type { CanonicalLossName, LossName } from '@gluon-loss/spec';
import type { CaseDraw, CaseInputs, LossSpace, Picker } from '../case.js';
import type { Rng } from '../rng.js';
import { VALUE_CLASSES } from '../values.js';

export interface SpaceDefinition {
  readonly loss: CanonicalLossName;
  /** Names the loss can be built by besides its own (MXNet's aliases). */
  readonly aliases?: readonly LossName[];
  readonly ranks: readonly number[];
  /** Constructor values to cycle through; `undefined` leaves the key to MXNet's default. */
  readonly config: Readonly<Record<string, readonly unknown[]>>;
  /** Structural options to cycle through; the first value of each is the simplest. */
  readonly options: Readonly<Record<string, readonly string[]>>;
  /** The dims of a case of this rank (the meaning is the space's own). */
  dims(rng: Rng, rank: number, draw: Omit<CaseDraw, 'dims' | 'seed'>): number[];
  build(draw: CaseDraw, rng: Rng): CaseInputs;
  /** Makes the config follow a structural option (SoftmaxCE's label kind decides sparse_label). */
  adjust?(draw: Omit<CaseDraw, 'dims' | 'seed' | 'loss'>): Omit<CaseDraw, 'dims' | 'seed' | 'loss'>;
  /** The rank a draw counts as (default: the number of dims). */
  rankOf?(draw: CaseDraw): number;
}

export function label(value: unknown): string {
  if (value === undefined) return 'default';
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return String(value);
}

export function defineSpace(def: SpaceDefinition): LossSpace {
  const names: readonly LossName[] = [def.loss, ...(def.aliases ?? [])];
  const classes = [
    ...(names.length > 1 ? names.map((n) => `name=${n}`) : []),
    ...def.ranks.map((r) => `rank=${r}`),
    ...VALUE_CLASSES.map((v) => `values=${v}`),
    ...Object.entries(def.config).flatMap(([k, vs]) => [...new Set(vs.map((v) => `${k}=${label(v)}`))]),
    ...Object.entries(def.options).flatMap(([k, vs]) => [...new Set(vs.map((v) => `${k}=${v}`))]),
  ];
  return {
    loss: def.loss,
    classes,
    simplerOptions: def.options,
    draw(pick: Picker, rng: Rng) {
      const name = names.length > 1 ? pick('name', names) : def.loss;
      const config: Record<string, unknown> = {};
      for (const [k, vs] of Object.entries(def.config)) {
        const v = pick(k, vs);
        if (v !== undefined) config[k] = v;
      }
      const options: Record<string, string> = {};
      for (const [k, vs] of Object.entries(def.options)) options[k] = pick(k, vs);
      const rank = pick('rank', def.ranks);
      const valueClass = pick('values', VALUE_CLASSES);
      const picked = { name, config, options, valueClass };
      const partial = def.adjust?.(picked) ?? picked;
      return { ...partial, dims: def.dims(rng, rank, { ...partial, loss: def.loss }) };
    },
    build: def.build,
    classify(draw: CaseDraw) {
      return [
        ...(names.length > 1 ? [`name=${draw.name}`] : []),
        `rank=${def.rankOf?.(draw) ?? draw.dims.length}`,
        `values=${draw.valueClass}`,
        ...Object.keys(def.config).map((k) => `${k}=${label(draw.config[k])}`),
        ...Object.entries(draw.options).map(([k, v]) => `${k}=${v}`),
      ];
    },
  };
}
