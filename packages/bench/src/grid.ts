/**
 * The benchmark grid: for every loss, the sizes it is timed at. Elementwise losses run at
 * 1K, 64K and 1M elements; the others at sizes that mean something for them (classes for
 * SoftmaxCE, T/N/C/L for CTC, the batch for SDML, whose cost grows with its square).
 * The full grid adds scale cells (SCALE_SIZES) that show how the cost per element grows:
 * elementwise at 16M elements, SoftmaxCE over a language model's vocabulary, CTC at T=500.
 * `--quick` keeps the two smallest sizes of each loss, so CI finishes in a few minutes.
 * The grid names sizes only: each loss's spec draws valid inputs of that size.
 */
import { LOSS_NAMES, type CanonicalLossName } from '@gluon-loss/spec';

export interface BenchCase {
  readonly loss: CanonicalLossName;
  /** The size label shown everywhere: `1024x1024`, `T100 N32 C32 L20`. */
  readonly size: string;
  /** Elements of the first input. */
  readonly elements: number;
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * The shape of the loss's main input (its first); the spec's `sampleInputs` draws the
   * inputs around it (labels, the other embeddings, CTC's labels).
   */
  readonly shape: readonly number[];
}

/** [rows, columns] at 1K, 64K and 1M elements. */
export const ELEMENTWISE_SHAPES: readonly (readonly [number, number])[] = [
  [32, 32],
  [256, 256],
  [1024, 1024],
];

/** The elementwise scale cell: 16M elements (64 MiB per input). */
export const ELEMENTWISE_SCALE_SHAPE: readonly [number, number] = [4096, 4096];

/** The sizes the targets name. */
export const TARGET_SIZES = {
  elementwise: '1024x1024',
  softmaxCE: '1024x1000',
  ctc: 'T100 N32 C32 L20',
} as const;

/** The scale cells' sizes, largest of their loss; in the full grid only. */
export const SCALE_SIZES = {
  elementwise: '4096x4096',
  softmaxCE: '256x32000',
  ctc: 'T500 N32 C32 L100',
} as const;

const label = (r: number, c: number): string => `${r}x${c}`;

function matrices(
  loss: CanonicalLossName,
  shapes: readonly (readonly [number, number])[],
  config: Record<string, unknown> = {},
): BenchCase[] {
  return shapes.map(([r, c]) => ({ loss, size: label(r, c), elements: r * c, config, shape: [r, c] }));
}

function ctc(t: number, n: number, c: number): BenchCase {
  // The spec's CTC sample has floor(T / 5) labels per row.
  return {
    loss: 'CTCLoss',
    size: `T${t} N${n} C${c} L${Math.floor(t / 5)}`,
    elements: t * n * c,
    config: { layout: 'NTC', label_layout: 'NT' },
    shape: [n, t, c],
  };
}

/**
 * The losses timed at sizes of their own; every other loss (the elementwise ones, and any
 * loss added to the spec) runs at ELEMENTWISE_SHAPES.
 */
const OWN_SIZES: Partial<Record<CanonicalLossName, readonly BenchCase[]>> = {
  SoftmaxCrossEntropyLoss: matrices(
    'SoftmaxCrossEntropyLoss',
    [
      [64, 10],
      [256, 100],
      [1024, 1000],
      [256, 32000],
    ],
    { sparse_label: true },
  ),
  CTCLoss: [ctc(20, 4, 8), ctc(50, 16, 16), ctc(100, 32, 32), ctc(500, 32, 32)],
  CosineEmbeddingLoss: matrices('CosineEmbeddingLoss', [
    [32, 32],
    [512, 128],
    [8192, 128],
  ]),
  SDMLLoss: matrices('SDMLLoss', [
    [32, 64],
    [128, 128],
    [256, 128],
  ]),
};

/** The full grid, in MXNet's loss order, sizes ascending. */
export function fullGrid(): BenchCase[] {
  return LOSS_NAMES.flatMap(
    (loss) => OWN_SIZES[loss] ?? matrices(loss, [...ELEMENTWISE_SHAPES, ELEMENTWISE_SCALE_SHAPE]),
  );
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
