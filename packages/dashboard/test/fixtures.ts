/**
 * Hand-made bench runs for the dashboard's tests: times chosen so that every ratio the
 * page shows is known in advance (ts at half of MXNet's time; the router choosing ts where
 * tfjs-wasm was measured 1.23 times faster).
 */
import {
  FORMAT_VERSION,
  RESULTS_FORMAT,
  type BackendStatus,
  type BenchResults,
  type Cell,
  type LoadedRun,
  type Mode,
} from '@gluon-loss/bench';

export const ok = (
  backend: string,
  loss: string,
  size: string,
  elements: number,
  mode: Mode,
  medianMs: number,
  extra: Partial<Cell> = {},
): Cell => ({
  loss,
  size,
  elements,
  backend,
  mode,
  status: 'ok',
  medianMs,
  minMs: medianMs,
  maxMs: medianMs,
  firstCallMs: 10 * medianMs,
  bytes: elements * 8,
  ...extra,
});

function results(
  startedAt: string,
  parts: Partial<BenchResults> & Pick<BenchResults, 'cells' | 'reference'>,
): BenchResults {
  return {
    format: RESULTS_FORMAT,
    formatVersion: FORMAT_VERSION,
    startedAt,
    finishedAt: startedAt,
    quick: true,
    filter: [],
    settings: { timeMs: 1, minIterations: 1, warmupIterations: 0 },
    machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, os: 'os', node: '20', v8: '11', browser: null },
    versions: { mxnet: '1.9.1' },
    backends: [
      { name: 'ts', environments: ['node'], available: true },
      { name: 'tfjs-webgl', environments: ['browser'], available: false, reason: 'runs only in browser' },
    ],
    ...parts,
  };
}

const roofline = (sizes: readonly number[]) =>
  sizes.map((e) => ({ elements: e, bytes: e * 8, medianMs: e * 1e-7, minMs: 0, maxMs: 0, gbPerS: 80 }));

/** L2Loss at 1K and 64K: ts at scale × elements × 1e-5 ms, MXNet at elements × 2e-5 ms. */
export function run(startedAt: string, scale: number): LoadedRun {
  const cells: Cell[] = [];
  const mxnet: Cell[] = [];
  for (const [size, elements] of [
    ['32x32', 1024],
    ['256x256', 65536],
  ] as const) {
    for (const mode of ['forward', 'forwardBackward'] as const) {
      cells.push(ok('ts', 'L2Loss', size, elements, mode, scale * elements * 1e-5));
      cells.push({
        loss: 'L2Loss',
        size,
        elements,
        backend: 'tfjs-webgl',
        mode,
        status: 'unavailable',
        reason: 'runs only in browser',
      });
      mxnet.push(ok('mxnet', 'L2Loss', size, elements, mode, elements * 2e-5));
    }
  }
  return {
    file: `${startedAt}.json`,
    results: results(startedAt, {
      cells,
      reference: {
        mxnet: { status: 'ok', threads: 'default', cells: mxnet },
        tfjsBuiltin: {
          cells: [ok('tfjs-cpu', 'L2Loss', '32x32', 1024, 'forward', 0.5, { builtin: 'tf.losses.meanSquaredError' })],
        },
        roofline: roofline([1024, 65536]),
      },
      router: { status: 'ok', cells: [ok('router', 'L2Loss', '32x32', 1024, 'forward', 0.02, { choice: 'ts' })] },
    }),
  };
}

export const ELEMENTWISE_SIZES = [
  ['32x32', 1024],
  ['256x256', 65536],
  ['1024x1024', 1048576],
] as const;

export const NODE_BACKENDS = ['ts', 'tfjs-cpu', 'tfjs-wasm', 'onnx-wasm', 'onnx-node', 'wasm-simd', 'wasm-simd-mt'];

/**
 * One full-looking run: seven Node backends, one browser-only backend, MXNet, JAX, two tfjs
 * built-ins and the roofline on every L2Loss chart (twelve series: more than one legend
 * line); a per-element cost that steps up at 1M elements; and router cells where its
 * choice is the fastest, where it is not (ts at 2.46 ms beside tfjs-wasm at 2.00 ms), and
 * where only a browser-only backend was faster.
 */
export function fullRun(startedAt = '2026-11-30T06:00:00.000Z'): LoadedRun {
  const cells: Cell[] = [];
  const mxnet: Cell[] = [];
  const jax: Cell[] = [];
  const builtins: Cell[] = [];
  // ns per element at 1K, 64K, 1M: a step at 1M (the cache cliff the view is for)
  const nsPerElement = [20, 2, 6];
  ELEMENTWISE_SIZES.forEach(([size, elements], s) => {
    for (const mode of ['forward', 'forwardBackward'] as const) {
      const base = (nsPerElement[s]! * elements) / 1e6;
      NODE_BACKENDS.forEach((b, i) => cells.push(ok(b, 'L2Loss', size, elements, mode, base * (1 + 0.25 * i))));
      cells.push(ok('tfjs-webgl', 'L2Loss', size, elements, mode, base * 0.5));
      mxnet.push(ok('mxnet', 'L2Loss', size, elements, mode, base * 2));
      jax.push(ok('jax', 'L2Loss', size, elements, mode, base * 0.8));
      builtins.push(
        ok('tfjs-cpu', 'L2Loss', size, elements, mode, base * 3, { builtin: 'tf.losses.meanSquaredError' }),
      );
      builtins.push(
        ok('tfjs-wasm', 'L2Loss', size, elements, mode, base * 2.5, { builtin: 'tf.losses.meanSquaredError' }),
      );
    }
  });
  // the router's test cell: 64K forward+backward, ts at 2.46 ms where tfjs-wasm took 2.00
  const at = { loss: 'HuberLoss', size: '256x256', elements: 65536, mode: 'forwardBackward' as const };
  cells.push(ok('ts', at.loss, at.size, at.elements, at.mode, 2.46));
  cells.push(ok('tfjs-wasm', at.loss, at.size, at.elements, at.mode, 2.0));
  cells.push(ok('tfjs-webgl', at.loss, at.size, at.elements, at.mode, 0.5));
  cells.push(ok('ts', at.loss, at.size, at.elements, 'forward', 1.0));
  cells.push(ok('tfjs-wasm', at.loss, at.size, at.elements, 'forward', 1.5));
  cells.push(ok('tfjs-webgl', at.loss, at.size, at.elements, 'forward', 0.4));
  const backends: BackendStatus[] = [
    ...NODE_BACKENDS.map((name) => ({ name, environments: ['node', 'browser'], available: true })),
    { name: 'tfjs-webgl', environments: ['browser'], available: true },
  ];
  const reference = {
    mxnet: { status: 'ok' as const, threads: 'default' as const, cells: mxnet },
    tfjsBuiltin: { cells: builtins },
    roofline: roofline(ELEMENTWISE_SIZES.map(([, e]) => e)),
    // the second native anchor (issue 14): JAX/XLA on CPU
    jax: { status: 'ok' as const, threads: 'default' as const, cells: jax },
  };
  return {
    file: `${startedAt}.json`,
    results: results(startedAt, {
      quick: false,
      backends,
      cells,
      reference,
      router: {
        status: 'ok',
        cells: [
          // not the fastest: ts (2.46 ms) where tfjs-wasm took 2.00 ms, 1.23 times less
          ok('router', at.loss, at.size, at.elements, at.mode, 2.5, { choice: 'ts' }),
          // the fastest where the router runs (tfjs-webgl, faster, is browser-only)
          ok('router', at.loss, at.size, at.elements, 'forward', 1.02, { choice: 'ts' }),
          // the choice has no cell of its own: the router's call, 3 times ts's 6.29 ms
          ok('router', 'L2Loss', '1024x1024', 1048576, 'forward', (3 * 6 * 1048576) / 1e6, { choice: 'onnx-webgpu' }),
        ],
      },
    }),
  };
}
