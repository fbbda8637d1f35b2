/**
 * The memory roofline: how long this machine takes to move a cell's bytes, measured as
 * a copy (`Float32Array.prototype.set`, a memmove in V8) of the same number of bytes:
 * half of them read, half written. An elementwise loss must at least read its inputs and
 * write its outputs, so `roofline medianMs / cell medianMs` is the fraction of the limit
 * it reaches. The copy is one thread, as the ts backend is.
 */
import type { RooflineEntry } from './format.js';
import { measure, type TimingSettings } from './measure.js';

export async function measureRoofline(bytes: number, timing: TimingSettings): Promise<RooflineEntry> {
  const elements = Math.max(1, Math.round(bytes / 8));
  const moved = elements * 8;
  // Small copies take less than the timer's resolution: each sample repeats the copy
  // until it has moved at least 1 MiB, and the times are divided back.
  const repeats = Math.max(1, Math.ceil(2 ** 20 / moved));
  const { timing: t } = await measure(
    () => {
      // filled so the pages are mapped before timing
      const src = new Float32Array(elements).fill(1);
      return { src, dst: new Float32Array(elements).fill(0) };
    },
    ({ src, dst }) => {
      for (let r = 0; r < repeats; r++) dst.set(src);
    },
    timing,
    { sync: true },
  );
  const medianMs = t.medianMs / repeats;
  return {
    elements,
    bytes: moved,
    medianMs,
    minMs: t.minMs / repeats,
    maxMs: t.maxMs / repeats,
    gbPerS: moved / (medianMs * 1e6),
  };
}

/** The roofline entry for a cell's bytes (measured at exactly that size, rounded to 8). */
export function rooflineFor(entries: readonly RooflineEntry[], bytes: number): RooflineEntry | undefined {
  const moved = Math.max(1, Math.round(bytes / 8)) * 8;
  return entries.find((e) => e.bytes === moved);
}
