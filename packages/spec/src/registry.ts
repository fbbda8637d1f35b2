/**
 * The 14 losses of `mxnet.gluon.loss` 1.9.1, in MXNet's `__all__` order, and their two
 * aliases. This table is the only list of losses: backends, the runner, the router and
 * the docs all iterate it.
 */
import type { z } from 'zod';
import { parseConfigWith } from './config.js';
import { UnknownLossError } from './errors.js';
import { CosineEmbeddingLoss } from './losses/cosine-embedding.js';
import { CTCLoss } from './losses/ctc.js';
import { HingeLoss } from './losses/hinge.js';
import { HuberLoss } from './losses/huber.js';
import { KLDivLoss } from './losses/kl-div.js';
import { L1Loss } from './losses/l1.js';
import { L2Loss } from './losses/l2.js';
import { LogisticLoss } from './losses/logistic.js';
import { PoissonNLLLoss } from './losses/poisson-nll.js';
import { SDMLLoss } from './losses/sdml.js';
import { SigmoidBinaryCrossEntropyLoss } from './losses/sigmoid-bce.js';
import { SoftmaxCrossEntropyLoss } from './losses/softmax-cross-entropy.js';
import { SquaredHingeLoss } from './losses/squared-hinge.js';
import { TripletLoss } from './losses/triplet.js';
import type { InputSpec, LossSpec } from './loss-spec.js';

export const LOSSES = {
  L2Loss,
  L1Loss,
  SigmoidBinaryCrossEntropyLoss,
  SoftmaxCrossEntropyLoss,
  KLDivLoss,
  CTCLoss,
  HuberLoss,
  HingeLoss,
  SquaredHingeLoss,
  LogisticLoss,
  TripletLoss,
  PoissonNLLLoss,
  CosineEmbeddingLoss,
  SDMLLoss,
} as const;

export const LOSS_ALIASES = {
  SigmoidBCELoss: 'SigmoidBinaryCrossEntropyLoss',
  SoftmaxCELoss: 'SoftmaxCrossEntropyLoss',
} as const;

export type CanonicalLossName = keyof typeof LOSSES;
export type LossAlias = keyof typeof LOSS_ALIASES;
export type LossName = CanonicalLossName | LossAlias;
export type Canonical<L extends LossName> = L extends LossAlias ? (typeof LOSS_ALIASES)[L] : L;

/** A loss's parsed config: every key present, MXNet's defaults filled in. */
export type LossConfig<L extends LossName = LossName> = z.output<(typeof LOSSES)[Canonical<L>]['config']>;
/** The facts a loss's `shape` derives for its backends (normalised axes, sizes). */
export type LossDetail<L extends LossName = LossName> = ReturnType<(typeof LOSSES)[Canonical<L>]['shape']>['detail'];
/** What a caller may pass: any subset of the keys. */
export type LossConfigInput<L extends LossName = LossName> = z.input<(typeof LOSSES)[Canonical<L>]['config']>;

/**
 * The config a loss takes: typed (MXNet's keys) when the name is a known literal, a plain
 * object when it is only known at run time (the spec validates it either way).
 */
export type ConfigOf<N extends string> = N extends LossName ? LossConfigInput<N> : Readonly<Record<string, unknown>>;

/**
 * A loss name as `createLoss` takes it: a literal must be one of the spec's names, so a
 * typo fails to compile; a name known only at run time (`string`) is checked when called.
 */
export type LossNameArg<N extends string> = N & (string extends N ? string : LossName);

export const LOSS_NAMES = Object.keys(LOSSES) as CanonicalLossName[];
export const ALL_LOSS_NAMES = [...LOSS_NAMES, ...(Object.keys(LOSS_ALIASES) as LossAlias[])] as LossName[];

export function isLossName(name: string): name is LossName {
  return Object.hasOwn(LOSSES, name) || Object.hasOwn(LOSS_ALIASES, name);
}

/** The canonical name of a loss or alias; throws UnknownLossError. */
export function canonicalLossName(name: string): CanonicalLossName {
  if (Object.hasOwn(LOSSES, name)) return name as CanonicalLossName;
  if (Object.hasOwn(LOSS_ALIASES, name)) return LOSS_ALIASES[name as LossAlias];
  throw new UnknownLossError(String(name), ALL_LOSS_NAMES);
}

export function lossSpec(name: string): LossSpec {
  return LOSSES[canonicalLossName(name)] as unknown as LossSpec;
}

/** The inputs of a forward call of `name` under a parsed config, in MXNet's positional order. */
export function declaredInputs<L extends CanonicalLossName>(
  name: L,
  config: Readonly<LossConfig<L>>,
): readonly InputSpec[];
export function declaredInputs(name: string, config: Readonly<Record<string, unknown>>): readonly InputSpec[];
export function declaredInputs(name: string, config: Readonly<Record<string, unknown>>): readonly InputSpec[] {
  // Each loss's spec reads its own config type; the registry's untyped view cannot say which.
  return lossSpec(name).inputs(config as never);
}

/** Validates a config against the loss's schema and fills in MXNet's defaults. */
export function parseConfig<L extends LossName>(name: L, config?: unknown): LossConfig<L>;
export function parseConfig(name: string, config?: unknown): Record<string, unknown>;
export function parseConfig(name: string, config?: unknown): Record<string, unknown> {
  const spec = lossSpec(name);
  return parseConfigWith(spec.name, spec.config, config) as Record<string, unknown>;
}
