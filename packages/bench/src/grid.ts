/**
 * The benchmark grid: for every loss, the sizes it is timed at. Elementwise losses run at
 * 1K, 64K and 1M elements; the others at sizes that mean something for them (classes for
 * SoftmaxCE, T/N/C/L for CTC, the batch for SDML, whose cost grows with its square).
 * `--quick` keeps the two smallest sizes of each loss, so CI finishes in a few minutes.
 */
import { LOSS_NAMES, type CanonicalLossName } from '@gluon-loss/spec';

/** How an input's values are drawn (see inputs.ts); each matches what the loss expects. */
export type ValueKind =
  /** N(0, 1): predictions, regression targets, embeddings. */
  | 'normal'
  /** -1 or 1: hinge, logistic (signed) and cosine labels. */
  | 'sign'
  /** 0 or 1: binary cross-entropy labels. */
  | 'binary'
  /** A probability distribution along the last axis (KLDiv's label). */
  | 'distribution'
  /** log of a distribution along the last axis (KLDiv's pred with from_logits). */
  | 'log-distribution'
  /** Integers in [0, classes): sparse SoftmaxCE labels, stored as float32 as MXNet takes them. */
  | 'class'
  /** Integers in [0, classes - 1): CTC labels, never the blank (the last channel). */
  | 'ctc-label'
  /** Poisson counts 0..7 (PoissonNLL's target). */
  | 'count';

export interface InputRecipe {
  /** MXNet's input name (pred, label, input1, ...), in MXNet's positional order. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: ValueKind;
  /** For `class` and `ctc-label`: the channel count C. */
  readonly classes?: number;
}

export interface BenchCase {
  readonly loss: CanonicalLossName;
  /** The size label shown everywhere: `1024x1024`, `T100 N32 C32 L20`. */
  readonly size: string;
  /** Elements of the first input. */
  readonly elements: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: readonly InputRecipe[];
}

/** [rows, columns] at 1K, 64K and 1M elements. */
export const ELEMENTWISE_SHAPES: readonly (readonly [number, number])[] = [
  [32, 32],
  [256, 256],
  [1024, 1024],
];

/** The sizes the targets name. */
export const TARGET_SIZES = {
  elementwise: '1024x1024',
  softmaxCE: '1024x1000',
  ctc: 'T100 N32 C32 L20',
} as const;

const label = (r: number, c: number): string => `${r}x${c}`;

function pairwise(
  loss: CanonicalLossName,
  shapes: readonly (readonly [number, number])[],
  names: readonly [string, string],
  kinds: readonly [ValueKind, ValueKind],
  config: Record<string, unknown> = {},
): BenchCase[] {
  return shapes.map(([r, c]) => ({
    loss,
    size: label(r, c),
    elements: r * c,
    config,
    inputs: [
      { name: names[0], shape: [r, c], values: kinds[0] },
      { name: names[1], shape: [r, c], values: kinds[1] },
    ],
  }));
}

function softmaxCE(n: number, c: number): BenchCase {
  return {
    loss: 'SoftmaxCrossEntropyLoss',
    size: label(n, c),
    elements: n * c,
    config: { sparse_label: true },
    inputs: [
      { name: 'pred', shape: [n, c], values: 'normal' },
      { name: 'label', shape: [n], values: 'class', classes: c },
    ],
  };
}

function ctc(t: number, n: number, c: number, l: number): BenchCase {
  return {
    loss: 'CTCLoss',
    size: `T${t} N${n} C${c} L${l}`,
    elements: t * n * c,
    config: { layout: 'NTC', label_layout: 'NT' },
    inputs: [
      { name: 'pred', shape: [n, t, c], values: 'normal' },
      { name: 'label', shape: [n, l], values: 'ctc-label', classes: c },
    ],
  };
}

function triplet(r: number, c: number): BenchCase {
  return {
    loss: 'TripletLoss',
    size: label(r, c),
    elements: r * c,
    config: {},
    inputs: ['pred', 'positive', 'negative'].map((name) => ({ name, shape: [r, c], values: 'normal' as const })),
  };
}

function cosine(rows: number, dim: number): BenchCase {
  return {
    loss: 'CosineEmbeddingLoss',
    size: label(rows, dim),
    elements: rows * dim,
    config: {},
    inputs: [
      { name: 'input1', shape: [rows, dim], values: 'normal' },
      { name: 'input2', shape: [rows, dim], values: 'normal' },
      { name: 'label', shape: [rows], values: 'sign' },
    ],
  };
}

function sdml(batch: number, dim: number): BenchCase {
  return {
    loss: 'SDMLLoss',
    size: label(batch, dim),
    elements: batch * dim,
    config: {},
    inputs: [
      { name: 'x1', shape: [batch, dim], values: 'normal' },
      { name: 'x2', shape: [batch, dim], values: 'normal' },
    ],
  };
}

/** The full grid, in MXNet's loss order, sizes ascending. */
export function fullGrid(): BenchCase[] {
  const ew = ELEMENTWISE_SHAPES;
  const byLoss: Record<CanonicalLossName, BenchCase[]> = {
    L2Loss: pairwise('L2Loss', ew, ['pred', 'label'], ['normal', 'normal']),
    L1Loss: pairwise('L1Loss', ew, ['pred', 'label'], ['normal', 'normal']),
    SigmoidBinaryCrossEntropyLoss: pairwise(
      'SigmoidBinaryCrossEntropyLoss',
      ew,
      ['pred', 'label'],
      ['normal', 'binary'],
    ),
    SoftmaxCrossEntropyLoss: [softmaxCE(64, 10), softmaxCE(256, 100), softmaxCE(1024, 1000)],
    KLDivLoss: pairwise('KLDivLoss', ew, ['pred', 'label'], ['log-distribution', 'distribution']),
    CTCLoss: [ctc(20, 4, 8, 5), ctc(50, 16, 16, 10), ctc(100, 32, 32, 20)],
    HuberLoss: pairwise('HuberLoss', ew, ['pred', 'label'], ['normal', 'normal']),
    HingeLoss: pairwise('HingeLoss', ew, ['pred', 'label'], ['normal', 'sign']),
    SquaredHingeLoss: pairwise('SquaredHingeLoss', ew, ['pred', 'label'], ['normal', 'sign']),
    LogisticLoss: pairwise('LogisticLoss', ew, ['pred', 'label'], ['normal', 'sign']),
    TripletLoss: ew.map(([r, c]) => triplet(r, c)),
    PoissonNLLLoss: pairwise('PoissonNLLLoss', ew, ['pred', 'target'], ['normal', 'count']),
    CosineEmbeddingLoss: [cosine(32, 32), cosine(512, 128), cosine(8192, 128)],
    SDMLLoss: [sdml(32, 64), sdml(128, 128), sdml(256, 128)],
  };
  return LOSS_NAMES.flatMap((loss) => byLoss[loss]);
}

/** The CI grid: each loss at its two smallest sizes. */
export function quickGrid(): BenchCase[] {
  const seen = new Map<string, number>();
  return fullGrid().filter((c) => {
    const n = seen.get(c.loss) ?? 0;
    seen.set(c.loss, n + 1);
    return n < 2;
  });
}
