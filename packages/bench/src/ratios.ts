/**
 * Ratios between the figures of one run. Every ratio divides two medians measured in the
 * same run, on the same inputs: a backend against the native anchors (MXNet, JAX) and
 * against tfjs's built-in equivalent (time ratios: below 1 is faster), and the roofline
 * against the backend (the fraction of the memory limit reached: 1 is at the limit).
 */
import type { BenchResults, Cell, CellRatios, Mode, RooflineEntry } from './format.js';
import { rooflineFor } from './roofline.js';

export const cellKey = (c: { loss: string; size: string; mode: Mode }): string => `${c.loss}|${c.size}|${c.mode}`;

type Timed = Cell & { status: 'ok'; medianMs: number };

export const isTimed = (c: Cell): c is Timed => c.status === 'ok' && typeof c.medianMs === 'number' && c.medianMs > 0;

/** The anchors of a run, indexed by loss, size and mode. */
export class Anchors {
  readonly #mxnet = new Map<string, Timed>();
  readonly #jax = new Map<string, Timed>();
  readonly #builtin = new Map<string, Timed[]>();

  constructor(
    mxnet: readonly Cell[],
    tfjsBuiltin: readonly Cell[],
    readonly roofline: readonly RooflineEntry[],
    jax: readonly Cell[] = [],
  ) {
    for (const c of mxnet) if (isTimed(c)) this.#mxnet.set(cellKey(c), c);
    for (const c of jax) if (isTimed(c)) this.#jax.set(cellKey(c), c);
    for (const c of tfjsBuiltin) {
      if (!isTimed(c)) continue;
      const list = this.#builtin.get(cellKey(c)) ?? [];
      list.push(c);
      this.#builtin.set(cellKey(c), list);
    }
  }

  static of(results: Pick<BenchResults, 'reference'>): Anchors {
    const r = results.reference;
    return new Anchors(r.mxnet.cells, r.tfjsBuiltin.cells, r.roofline, r.jax?.cells ?? []);
  }

  mxnet(c: { loss: string; size: string; mode: Mode }): Timed | undefined {
    return this.#mxnet.get(cellKey(c));
  }

  jax(c: { loss: string; size: string; mode: Mode }): Timed | undefined {
    return this.#jax.get(cellKey(c));
  }

  builtin(c: { loss: string; size: string; mode: Mode }, tfjsBackend: string): Timed | undefined {
    return this.#builtin.get(cellKey(c))?.find((b) => b.backend === tfjsBackend);
  }

  ratios(cell: Cell): CellRatios | undefined {
    if (!isTimed(cell)) return undefined;
    const mx = this.mxnet(cell);
    const jax = this.jax(cell);
    const tfjsBuiltin: Record<string, number> = {};
    for (const b of this.#builtin.get(cellKey(cell)) ?? []) tfjsBuiltin[b.backend] = cell.medianMs / b.medianMs;
    const roof = cell.bytes === undefined ? undefined : rooflineFor(this.roofline, cell.bytes);
    return {
      mxnet: mx === undefined ? null : cell.medianMs / mx.medianMs,
      jax: jax === undefined ? null : cell.medianMs / jax.medianMs,
      tfjsBuiltin,
      roofline: roof === undefined ? null : roof.medianMs / cell.medianMs,
    };
  }
}

/** A timed cell's median per element of its main input, in nanoseconds. */
export const nsPerElement = (c: Cell): number | undefined =>
  isTimed(c) && c.elements > 0 ? (c.medianMs * 1e6) / c.elements : undefined;

/** The results with `ratios` and `nsPerElement` set on every timed cell (backends, anchors, router). */
export function withRatios<R extends BenchResults>(results: R): R {
  const anchors = Anchors.of(results);
  const annotate = (cells: readonly Cell[]): Cell[] =>
    cells.map((c) => {
      const ratios = anchors.ratios(c);
      return ratios === undefined ? c : { ...c, nsPerElement: nsPerElement(c)!, ratios };
    });
  return {
    ...results,
    cells: annotate(results.cells),
    reference: {
      ...results.reference,
      mxnet: { ...results.reference.mxnet, cells: annotate(results.reference.mxnet.cells) },
      ...(results.reference.jax
        ? { jax: { ...results.reference.jax, cells: annotate(results.reference.jax.cells) } }
        : {}),
      tfjsBuiltin: { cells: annotate(results.reference.tfjsBuiltin.cells) },
    },
    ...(results.router ? { router: { ...results.router, cells: annotate(results.router.cells) } } : {}),
  };
}

/** The fastest timed backend cell for a loss, size and mode, if any ran. */
export function fastestCell(cells: readonly Cell[], at: { loss: string; size: string; mode: Mode }): Timed | undefined {
  let best: Timed | undefined;
  for (const c of cells) {
    if (
      c.loss === at.loss &&
      c.size === at.size &&
      c.mode === at.mode &&
      isTimed(c) &&
      (best === undefined || c.medianMs < best.medianMs)
    )
      best = c;
  }
  return best;
}

/** The geometric mean: how ratios across cells are summarised (a mean of ratios would favour slow cells). */
export function geometricMean(values: readonly number[]): number | undefined {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return undefined;
  return Math.exp(finite.reduce((s, v) => s + Math.log(v), 0) / finite.length);
}
