/** Hand-made results for the format and ratio tests: the numbers are chosen, not measured. */
import {
  FORMAT_VERSION,
  RESULTS_FORMAT,
  type BenchResults,
  type Cell,
  type Mode,
  type RooflineEntry,
} from '../src/index.js';

export function cell(
  backend: string,
  loss: string,
  size: string,
  mode: Mode,
  medianMs: number | null,
  extra: Partial<Cell> = {},
): Cell {
  const elements = size === '1024x1024' ? 1024 * 1024 : 1024;
  const base = { loss, size, elements, backend, mode };
  return medianMs === null
    ? { ...base, status: 'failed', reason: 'it threw', ...extra }
    : {
        ...base,
        status: 'ok',
        medianMs,
        minMs: medianMs * 0.9,
        maxMs: medianMs * 1.2,
        firstCallMs: medianMs * 3,
        ...extra,
      };
}

export function roofline(bytes: number, medianMs: number): RooflineEntry {
  return { elements: bytes / 8, bytes, medianMs, minMs: medianMs, maxMs: medianMs, gbPerS: bytes / (medianMs * 1e6) };
}

export function results(
  parts: {
    cells?: Cell[];
    mxnet?: Cell[];
    jax?: Cell[];
    builtin?: Cell[];
    roofline?: RooflineEntry[];
    startedAt?: string;
  } = {},
): BenchResults {
  const startedAt = parts.startedAt ?? '2026-11-28T10:00:00.000Z';
  return {
    format: RESULTS_FORMAT,
    formatVersion: FORMAT_VERSION,
    startedAt,
    finishedAt: startedAt,
    quick: false,
    filter: [],
    settings: { timeMs: 1, minIterations: 1, warmupIterations: 0 },
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 1, os: 'test', node: '20', v8: '11', browser: null },
    versions: { mxnet: '1.9.1' },
    backends: [{ name: 'ts', environments: ['node'], available: true }],
    cells: parts.cells ?? [],
    reference: {
      mxnet: { status: 'ok', threads: 'default', cells: parts.mxnet ?? [] },
      ...(parts.jax ? { jax: { status: 'ok' as const, threads: 'default' as const, cells: parts.jax } } : {}),
      tfjsBuiltin: { cells: parts.builtin ?? [] },
      roofline: parts.roofline ?? [],
    },
  };
}
