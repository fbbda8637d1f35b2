/**
 * How the page writes text and measured numbers: escaped HTML, and numbers with three
 * significant digits and their unit, never a float's 17 digits. One place, so that
 * tooltips, tables and the router's verdicts agree.
 */

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Three significant digits, trailing zeros kept (0.500, 2.00: the precision is part of the
 * number); 1230 rather than 1.23e+3 up to a million; exponent form outside [0.001, 1e6).
 */
export function sig3(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) return v.toExponential(2);
  // toPrecision(3) writes 1234 as "1.23e+3"; through Number it becomes 1230
  return abs >= 1e3 ? String(Number(v.toPrecision(3))) : v.toPrecision(3);
}

export const formatMs = (v: number): string => `${sig3(v)} ms`;

/** Nanoseconds per element of the main input, from a median in milliseconds. */
export const nsPerElement = (medianMs: number, elements: number): number => (medianMs * 1e6) / elements;

export const formatNsPerElement = (v: number): string => `${sig3(v)} ns/element`;

/** A time ratio: `1.23×`. */
export const formatRatio = (v: number): string => `${sig3(v)}×`;

/** An element count as it is, with thin grouping (counts are exact, not measured). */
export const formatCount = (n: number): string => n.toLocaleString('en-US');
