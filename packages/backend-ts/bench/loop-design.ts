/**
 * Why backend-ts writes one loop per loss (elementwise-loss.ts): the same L2 and Huber
 * formulas over a million elements, written three ways, timed forward and with gradients.
 * A benchmark, not a test: it prints a table and exits 0; nothing is asserted.
 *
 *   pnpm --filter @gluon-loss/backend-ts run bench:loops        (or: ... bench:loops --quick)
 *
 * - shared callback loop: one loop for every loss, calling the loss's per-element
 *   function (and its derivative) for each element; V8 cannot inline a call site that
 *   sees several losses' functions, which is what the measurement shows.
 * - per-loss loop (the design): the loss's own loop, its gradient writes behind a null
 *   check of the gradient buffers, which are null in forward.
 * - separate loops (the design before): the loss's own forward loop and its own
 *   forwardBackward loop, each formula written twice.
 * Each is written with the backend's float32 arithmetic (a Math.fround at each step MXNet
 * materialises, the sum going to Inf once it overflows float32), unweighted, G = 1.
 * And the backend itself (`createTsBackend()`), the whole call: spec checks, weighting
 * and the reduction included.
 */
import { cpus, loadavg } from 'node:os';
import { createTsBackend } from '../src/index.js';
import { FLOAT32_OVERFLOW, sign } from '../src/mxnet-ops.js';

const QUICK = process.argv.includes('--quick');
const N = 1 << 20;
const REPEATS = QUICK ? 7 : 25;
/** G, the gradient of the output with respect to each element's loss. */
const G = 1;

interface Buffers {
  readonly pred: Float32Array;
  readonly label: Float32Array;
  readonly predGrad: Float32Array | null;
  readonly labelGrad: Float32Array | null;
}

/** A per-element loss and its derivative in the label, for the shared loop. */
interface ElementFormula {
  loss(x: number, y: number): number;
  grad(x: number, y: number, g: number): number;
}

const L2: ElementFormula = {
  loss: (x, y) => {
    const d = Math.fround(y - x);
    return Math.fround(d * d);
  },
  grad: (x, y, g) => Math.fround(Math.fround(g) * Math.fround(2 * Math.fround(y - x))),
};

function huberFormula(rho: number): ElementFormula {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  return {
    loss: (x, y) => {
      const a = Math.abs(Math.fround(y - x));
      return a > rho32 ? Math.fround(a - halfRho) : Math.fround(quadratic * Math.fround(a * a));
    },
    grad: (x, y, g) => {
      const d = Math.fround(y - x);
      const a = Math.abs(d);
      const linear = a > rho32;
      const gw = Math.fround(g);
      const quadraticGrad = Math.fround(Math.fround((linear ? 0 : gw) * quadratic) * Math.fround(2 * a));
      return Math.fround((linear ? gw : 0) + quadraticGrad) * sign(d);
    },
  };
}

function sharedLoop(f: ElementFormula, { pred, label, predGrad, labelGrad }: Buffers): number {
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const x = pred[e]!;
    const y = label[e]!;
    sum += f.loss(x, y);
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    if (predGrad !== null && labelGrad !== null) {
      const gd = f.grad(x, y, G);
      labelGrad[e] = gd;
      predGrad[e] = -gd;
    }
  }
  return sum;
}

function l2Loop({ pred, label, predGrad, labelGrad }: Buffers): number {
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const d = Math.fround(label[e]! - pred[e]!);
    sum += Math.fround(d * d);
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    if (predGrad !== null && labelGrad !== null) {
      const gd = Math.fround(Math.fround(G) * Math.fround(2 * d));
      labelGrad[e] = gd;
      predGrad[e] = -gd;
    }
  }
  return sum;
}

function huberLoop(rho: number, { pred, label, predGrad, labelGrad }: Buffers): number {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const d = Math.fround(label[e]! - pred[e]!);
    const a = Math.abs(d);
    const linear = a > rho32;
    sum += linear ? Math.fround(a - halfRho) : Math.fround(quadratic * Math.fround(a * a));
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    if (predGrad !== null && labelGrad !== null) {
      const gw = Math.fround(G);
      const quadraticGrad = Math.fround(Math.fround((linear ? 0 : gw) * quadratic) * Math.fround(2 * a));
      const gd = Math.fround((linear ? gw : 0) + quadraticGrad) * sign(d);
      labelGrad[e] = gd;
      predGrad[e] = -gd;
    }
  }
  return sum;
}

function l2Forward(pred: Float32Array, label: Float32Array): number {
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const d = Math.fround(label[e]! - pred[e]!);
    sum += Math.fround(d * d);
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
  }
  return sum;
}

function l2ForwardBackward(
  pred: Float32Array,
  label: Float32Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
): number {
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const d = Math.fround(label[e]! - pred[e]!);
    sum += Math.fround(d * d);
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    const gd = Math.fround(Math.fround(G) * Math.fround(2 * d));
    labelGrad[e] = gd;
    predGrad[e] = -gd;
  }
  return sum;
}

function huberForward(rho: number, pred: Float32Array, label: Float32Array): number {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const a = Math.abs(Math.fround(label[e]! - pred[e]!));
    sum += a > rho32 ? Math.fround(a - halfRho) : Math.fround(quadratic * Math.fround(a * a));
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
  }
  return sum;
}

function huberForwardBackward(
  rho: number,
  pred: Float32Array,
  label: Float32Array,
  predGrad: Float32Array,
  labelGrad: Float32Array,
): number {
  const rho32 = Math.fround(rho);
  const halfRho = Math.fround(0.5 * rho);
  const quadratic = Math.fround(0.5 / rho);
  let sum = 0;
  for (let e = 0; e < pred.length; e++) {
    const d = Math.fround(label[e]! - pred[e]!);
    const a = Math.abs(d);
    const linear = a > rho32;
    sum += linear ? Math.fround(a - halfRho) : Math.fround(quadratic * Math.fround(a * a));
    if (Math.abs(sum) >= FLOAT32_OVERFLOW) sum *= Infinity;
    const gw = Math.fround(G);
    const quadraticGrad = Math.fround(Math.fround((linear ? 0 : gw) * quadratic) * Math.fround(2 * a));
    const gd = Math.fround((linear ? gw : 0) + quadraticGrad) * sign(d);
    labelGrad[e] = gd;
    predGrad[e] = -gd;
  }
  return sum;
}

/**
 * The median and the fastest of `run`'s times in milliseconds, after warming it up (on a
 * shared machine the fastest is the steadier of the two).
 */
async function timeMs(run: () => unknown): Promise<{ median: number; min: number }> {
  for (let i = 0; i < 10; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]! };
}

async function main(): Promise<void> {
  const pred = new Float32Array(N);
  const label = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    pred[i] = Math.sin(i * 0.37) * 2;
    label[i] = Math.cos(i * 0.11) * 2;
  }
  const predGrad = new Float32Array(N);
  const labelGrad = new Float32Array(N);
  // A fresh buffers object per call, as the backend makes one.
  const forward = (): Buffers => ({ pred, label, predGrad: null, labelGrad: null });
  const backward = (): Buffers => ({ pred, label, predGrad, labelGrad });
  const huber = huberFormula(1);
  // The shared loop sees both losses' functions, as it would in a backend.
  sharedLoop(L2, backward());
  sharedLoop(huber, backward());

  const backend = createTsBackend();
  const l2Loss = await backend.compile('L2Loss');
  const huberLoss = await backend.compile('HuberLoss');
  const inputs = { pred: { data: pred, shape: [1024, 1024] }, label: { data: label, shape: [1024, 1024] } };
  const head = { data: new Float32Array(1024).fill(1), shape: [1024] };

  const rows: [string, string, () => unknown, () => unknown][] = [
    ['L2Loss', 'shared callback loop', () => sharedLoop(L2, forward()), () => sharedLoop(L2, backward())],
    ['L2Loss', 'per-loss loop', () => l2Loop(forward()), () => l2Loop(backward())],
    [
      'L2Loss',
      'separate loops',
      () => l2Forward(pred, label),
      () => l2ForwardBackward(pred, label, predGrad, labelGrad),
    ],
    ['L2Loss', 'backend-ts call', () => l2Loss.forward(inputs), () => l2Loss.forwardBackward(inputs, head)],
    ['HuberLoss', 'shared callback loop', () => sharedLoop(huber, forward()), () => sharedLoop(huber, backward())],
    ['HuberLoss', 'per-loss loop', () => huberLoop(1, forward()), () => huberLoop(1, backward())],
    [
      'HuberLoss',
      'separate loops',
      () => huberForward(1, pred, label),
      () => huberForwardBackward(1, pred, label, predGrad, labelGrad),
    ],
    ['HuberLoss', 'backend-ts call', () => huberLoss.forward(inputs), () => huberLoss.forwardBackward(inputs, head)],
  ];
  const [load] = loadavg();
  console.log(
    `loop designs at ${N} float32 elements, ${REPEATS} runs each, median (fastest) in ms; ${cpus().length} cores, load ${load!.toFixed(1)}`,
  );
  console.log(`${'loss'.padEnd(10)} ${'loop'.padEnd(22)} ${'forward'.padStart(15)} ${'fwd+grad'.padStart(15)}`);
  const cell = ({ median, min }: { median: number; min: number }): string =>
    `${median.toFixed(2)} (${min.toFixed(2)})`.padStart(15);
  for (const [loss, design, f, fb] of rows) {
    const a = await timeMs(f);
    const b = await timeMs(fb);
    console.log(`${loss.padEnd(10)} ${design.padEnd(22)} ${cell(a)} ${cell(b)}`);
  }
  l2Loss.dispose();
  huberLoss.dispose();
}

await main();
