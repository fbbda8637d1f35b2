/**
 * The performance targets of the bench issue, evaluated on one run. They are reported
 * (by the CLI and the dashboard, with the gap when missed), never asserted by a test:
 * timings on a shared machine are not pass/fail material.
 */
import type { BenchResults, Mode } from './format.js';
import { TARGET_SIZES } from './grid.js';
import { Anchors, fastestCell, isTimed } from './ratios.js';

export type TargetKind =
  /** ts forwardBackward time / MXNet's: at most 1. */
  | 'ts-vs-mxnet'
  /** ts forwardBackward time / tfjs's built-in on tfjs-cpu: at most 0.5. */
  | 'ts-vs-tfjs-builtin'
  /** The fastest backend's time / MXNet's: at most 1 (every cell of 64K elements or more). */
  | 'fastest-vs-mxnet'
  /** backend-wasm's time (its fastest variant) / MXNet's on SoftmaxCE 1024x1000 and CTC: at most 0.5. */
  | 'wasm-vs-mxnet'
  /** The fastest backend's time / JAX's (the stretch): at most 2 (every cell of 64K elements or more). */
  | 'fastest-vs-jax'
  /** The fastest backend's forwardBackward time / JAX's on an element-wise loss at 1M: at most 1. */
  | 'elementwise-vs-jax'
  /** Roofline time / the fastest backend's time: at least 0.5. */
  | 'roofline';

export interface TargetResult {
  readonly kind: TargetKind;
  readonly loss: string;
  readonly size: string;
  readonly mode: Mode;
  /** What is compared, in words. */
  readonly title: string;
  /** The backend the figure is about (for `fastest-*` and `roofline`, the fastest one). */
  readonly backend: string | null;
  /** The measured ratio, or null when a side of it did not run. */
  readonly value: number | null;
  readonly limit: number;
  /** 'at most' for time ratios, 'at least' for the roofline fraction. */
  readonly direction: 'at most' | 'at least';
  /** null when it could not be measured in this run. */
  readonly met: boolean | null;
  /** The gap in words ('1.42× over the limit: 30% less time needed'), or why it is unknown. */
  readonly gap: string;
}

/** Losses of the first target (ts at or below MXNet, at most half of tfjs's built-in). */
export const TS_TARGET_LOSSES = [
  'L2Loss',
  'L1Loss',
  'HuberLoss',
  'HingeLoss',
  'LogisticLoss',
  'SigmoidBinaryCrossEntropyLoss',
] as const;

/** Losses computed element by element over pred and label: the roofline target's. */
export const ELEMENTWISE_LOSSES = [
  'L2Loss',
  'L1Loss',
  'SigmoidBinaryCrossEntropyLoss',
  'KLDivLoss',
  'HuberLoss',
  'HingeLoss',
  'SquaredHingeLoss',
  'LogisticLoss',
  'PoissonNLLLoss',
] as const;

/** The roofline target's losses (the issue's list at 1M elements): the element-wise ones plus Triplet and Cosine. */
export const ROOFLINE_LOSSES = [
  'L2Loss',
  'L1Loss',
  'HuberLoss',
  'HingeLoss',
  'SquaredHingeLoss',
  'LogisticLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'PoissonNLLLoss',
  'TripletLoss',
  'CosineEmbeddingLoss',
] as const;

/** Cells of at least this many elements hold the fastest backend to MXNet (1.0x) and to JAX (2x). */
export const TARGET_MIN_ELEMENTS = 65536;

const MODES: readonly Mode[] = ['forward', 'forwardBackward'];

/** A backend that spreads a call over threads: left out where a target says single-threaded. */
const threaded = (backend: string): boolean => backend.endsWith('-mt');

function judge(
  value: number | null,
  limit: number,
  direction: 'at most' | 'at least',
  missing: string,
): Pick<TargetResult, 'met' | 'gap'> {
  if (value === null) return { met: null, gap: `not measured: ${missing}` };
  const met = direction === 'at most' ? value <= limit : value >= limit;
  if (direction === 'at most') {
    const over = value / limit;
    return met
      ? { met, gap: `met with ${((1 - over) * 100).toFixed(0)}% to spare` }
      : { met, gap: `${over.toFixed(2)}× over the limit: ${((1 - 1 / over) * 100).toFixed(0)}% less time needed` };
  }
  const short = limit / value;
  return met
    ? { met, gap: `met: ${(value / limit).toFixed(2)}× the minimum` }
    : { met, gap: `${value.toFixed(2)} of the roofline: ${short.toFixed(2)}× faster needed` };
}

/** One target's result: its measured value judged against its limit. */
function target(
  at: Pick<TargetResult, 'kind' | 'loss' | 'size' | 'mode' | 'title' | 'backend'>,
  value: number | null,
  limit: number,
  direction: 'at most' | 'at least',
  missing: string,
): TargetResult {
  return { ...at, value, limit, direction, ...judge(value, limit, direction, missing) };
}

/** Every target of the issue that this run's grid reaches (a quick or filtered run reaches fewer). */
export function evaluateTargets(results: Pick<BenchResults, 'cells' | 'reference'>): TargetResult[] {
  const anchors = Anchors.of(results);
  const out: TargetResult[] = [];
  const present = (loss: string, size: string): boolean =>
    results.cells.some((c) => c.loss === loss && c.size === size);
  const tsCell = (loss: string, size: string, mode: Mode) =>
    results.cells.find((c) => c.backend === 'ts' && c.loss === loss && c.size === size && c.mode === mode);

  const size = TARGET_SIZES.elementwise;
  for (const loss of TS_TARGET_LOSSES) {
    if (!present(loss, size)) continue;
    const mode: Mode = 'forwardBackward';
    const ts = tsCell(loss, size, mode);
    const timedTs = ts !== undefined && isTimed(ts) ? ts : undefined;
    const mx = anchors.mxnet({ loss, size, mode });
    const builtin = anchors.builtin({ loss, size, mode }, 'tfjs-cpu');
    const vsMx = timedTs && mx ? timedTs.medianMs / mx.medianMs : null;
    out.push(
      target(
        { kind: 'ts-vs-mxnet', loss, size, mode, title: 'ts time / MXNet time', backend: 'ts' },
        vsMx,
        1,
        'at most',
        timedTs ? 'MXNet did not run' : `ts did not run${ts?.reason ? ` (${ts.reason})` : ''}`,
      ),
    );
    const vsBuiltin = timedTs && builtin ? timedTs.medianMs / builtin.medianMs : null;
    out.push(
      target(
        {
          kind: 'ts-vs-tfjs-builtin',
          loss,
          size,
          mode,
          title: 'ts time / tfjs built-in time on tfjs-cpu',
          backend: 'ts',
        },
        vsBuiltin,
        0.5,
        'at most',
        timedTs ? 'the tfjs-cpu built-in did not run' : 'ts did not run',
      ),
    );
  }

  // The fastest backend against MXNet (and JAX, when it ran) on every cell of 64K elements
  // or more, SoftmaxCE's and CTC's target cells always.
  const jaxRan = results.reference.jax?.status === 'ok';
  const pairs = new Map<string, { loss: string; size: string }>();
  for (const c of results.cells) {
    const targetCell =
      (c.loss === 'SoftmaxCrossEntropyLoss' && c.size === TARGET_SIZES.softmaxCE) ||
      (c.loss === 'CTCLoss' && c.size === TARGET_SIZES.ctc);
    if (targetCell || c.elements >= TARGET_MIN_ELEMENTS)
      pairs.set(`${c.loss}|${c.size}`, { loss: c.loss, size: c.size });
  }
  for (const { loss, size: at } of pairs.values()) {
    for (const mode of MODES) {
      const best = fastestCell(results.cells, { loss, size: at, mode });
      const mx = anchors.mxnet({ loss, size: at, mode });
      const value = best && mx ? best.medianMs / mx.medianMs : null;
      out.push(
        target(
          {
            kind: 'fastest-vs-mxnet',
            loss,
            size: at,
            mode,
            title: 'fastest backend time / MXNet time',
            backend: best?.backend ?? null,
          },
          value,
          1,
          'at most',
          best ? 'MXNet did not run' : 'no backend ran',
        ),
      );
      if (!jaxRan) continue;
      const jax = anchors.jax({ loss, size: at, mode });
      const vsJax = best && jax ? best.medianMs / jax.medianMs : null;
      out.push(
        target(
          {
            kind: 'fastest-vs-jax',
            loss,
            size: at,
            mode,
            title: 'fastest backend time / JAX time',
            backend: best?.backend ?? null,
          },
          vsJax,
          2,
          'at most',
          best ? 'JAX did not run this cell' : 'no backend ran',
        ),
      );
    }
  }

  // backend-wasm (its faster variant) at half MXNet's time on SoftmaxCE and CTC.
  for (const [loss, at] of [
    ['SoftmaxCrossEntropyLoss', TARGET_SIZES.softmaxCE],
    ['CTCLoss', TARGET_SIZES.ctc],
  ] as const) {
    if (!present(loss, at)) continue;
    for (const mode of MODES) {
      const wasm = fastestCell(
        results.cells.filter((c) => c.backend.startsWith('wasm-simd')),
        { loss, size: at, mode },
      );
      const mx = anchors.mxnet({ loss, size: at, mode });
      const value = wasm && mx ? wasm.medianMs / mx.medianMs : null;
      out.push(
        target(
          {
            kind: 'wasm-vs-mxnet',
            loss,
            size: at,
            mode,
            title: 'backend-wasm time / MXNet time',
            backend: wasm?.backend ?? null,
          },
          value,
          0.5,
          'at most',
          wasm ? 'MXNet did not run' : 'backend-wasm did not run',
        ),
      );
    }
  }

  // The element-wise losses at 1M: forwardBackward at or below JAX's time (a fused pass is all there is to do).
  if (jaxRan) {
    for (const loss of ELEMENTWISE_LOSSES) {
      if (!present(loss, size)) continue;
      const mode: Mode = 'forwardBackward';
      const best = fastestCell(results.cells, { loss, size, mode });
      const jax = anchors.jax({ loss, size, mode });
      const value = best && jax ? best.medianMs / jax.medianMs : null;
      out.push(
        target(
          {
            kind: 'elementwise-vs-jax',
            loss,
            size,
            mode,
            title: 'fastest backend forwardBackward time / JAX time',
            backend: best?.backend ?? null,
          },
          value,
          1,
          'at most',
          best ? 'JAX did not run this cell' : 'no backend ran',
        ),
      );
    }
  }

  // At least half the memory roofline at 1M, single-threaded.
  for (const loss of ROOFLINE_LOSSES) {
    if (!present(loss, size)) continue;
    for (const mode of MODES) {
      const best = fastestCell(
        results.cells.filter((c) => !threaded(c.backend)),
        { loss, size, mode },
      );
      const value = best ? (anchors.ratios(best)?.roofline ?? null) : null;
      out.push(
        target(
          {
            kind: 'roofline',
            loss,
            size,
            mode,
            title: 'fraction of the memory-copy roofline, fastest single-threaded backend',
            backend: best?.backend ?? null,
          },
          value,
          0.5,
          'at least',
          best ? 'no roofline entry for its bytes' : 'no backend ran',
        ),
      );
    }
  }
  return out;
}
