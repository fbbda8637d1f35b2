/**
 * The cost model of a first call: when timing every candidate on the caller's own
 * inputs would cost more than a small multiple of the call itself, the candidates are
 * timed on a *proxy* instead, and the real call runs once, on the winner.
 *
 * - `estimateCost(plan)`: the elements and bytes a call reads (every input tensor) and
 *   writes (the loss, and the gradients in forwardBackward). Calls are linear in it for
 *   every loss but SDML (quadratic in its batch) and CTC (T x (2L+1) per sample, both in
 *   the bucket key).
 * - `needsProxy(cost, settings)`: whether a bucket is large: its main input has more than
 *   `proxyAboveElements` elements (default 2^21, ~8 MB of float32).
 * - `proxyInputs(plan, inputs, settings)`: the first rows along axis 0 of every tensor
 *   whose first dimension is the batch (`subarray`s: no copy), sized so the main input has
 *   about `proxyElements` (default 2^18). Same config, same rank, same non-batch sizes (so
 *   SoftmaxCE 4096x50000 is timed on 5x50000): the structure of the work per element is
 *   kept, only the count shrinks. The proxy is validated by the spec like any call; a loss
 *   whose batch is not on axis 0 (a `batch_axis` of 1, CTC's 'TNC' layout) or whose cost
 *   is not linear in the batch (SDML) gets no proxy and is timed on the real call.
 *
 * - `loadsHeavy(cost, settings)`: whether a call may load a heavy runtime (tfjs,
 *   onnxruntime: `BackendEntry.heavy`) that nothing has loaded yet: its main input has
 *   more than `loadHeavyAboveElements` elements (default 2^21, the proxy threshold). Such a
 *   load costs megabytes of download in a page (tfjs-wasm 0.7 MB of wasm plus ~1.5 MB of
 *   script, onnx-wasm 14 MB) and 0.3 to 3 s of initialisation, and below ~2M elements
 *   the light backends (ts, wasm-simd) take a few ms a call (docs: 1M-element softmax-CE
 *   18-28 ms in ts against 2-5 ms in onnx-wasm), so the heavy one would need hundreds of
 *   calls to repay its load. A smaller call is decided among the backends already loaded
 *   and the light ones; a heavy backend is loaded for it only when none of those can run
 *   it (and on a fault, as any fallback). A bucket decided so keeps its decision; a later
 *   big call loads the heavy runtimes for its own bucket. `loadHeavyAboveElements: 0`
 *   loads and times every candidate on every first call.
 *
 * A proxy of 2^18 elements sits in the CPU's caches; the real call does not. What a proxy
 * cannot show is what a backend pays per byte it *copies* at full size (into a wasm heap
 * or a runtime's tensors, a snapshot of its inputs, its outputs back out: fresh memory,
 * out of cache), so a large bucket is ranked on a prediction, not on the proxy's median:
 *
 * - `predictCallMs`: a roofline. The proxy's median scaled by the elements (the compute,
 *   in cache), or the real call's memory traffic out of cache, whichever is more: every
 *   tensor read or written once, plus the backend's copies of them (`COPIES`, multiples
 *   of the input and output bytes), at this machine's rate for writing fresh memory
 *   (`measureCopyNsPerByte`, once per process, or `copyNsPerByte`). On 50M-element
 *   L2Loss, onnx-node is 2.8x faster than ts on the proxy and 2.4x slower on the real
 *   call, wasm-simd-mt 1.3x faster and 3.7x slower: their copies, not their kernels.
 * - `admitCandidate`: whether calibration loads and times one more candidate. The first
 *   (already loaded) one is the baseline; after it, a candidate whose memory traffic
 *   alone is more than the best prediction so far cannot win and is not loaded; nor is
 *   one whose load costs more than it could save (the best prediction less its traffic),
 *   or whose load
 *   (`typicalLoadMs` for a built-in not loaded yet: its import, wasm compile, probe)
 *   would take calibration past `calibrationBudget` times the best predicted call is not
 *   loaded either. A backend's load is part of the first call it serves.
 *
 * The installs issue's lazy loading of heavy backends reads the same estimate: a call
 * below `proxyAboveElements` is small enough that a heavy runtime's load is not worth it.
 */
import { planCall, sizeOf, type CallPlan, type LossInputs, type Tensor } from '@gluon-loss/spec';
import type { CallMode } from './decisions.js';

export interface CostSettings {
  /** A bucket whose main input has more elements than this is timed on a proxy (default 2^21). */
  readonly proxyAboveElements: number;
  /** About how many elements of the main input a proxy has (default 2^18). */
  readonly proxyElements: number;
  /**
   * A large bucket's calibration (loads and proxy timings) spends at most this multiple of
   * the best predicted call (default 0.5): its first call costs at most 1.5x its call.
   */
  readonly calibrationBudget: number;
  /**
   * ns per byte copied at full size (fresh memory, out of cache), for `predictCallMs`;
   * undefined: measured once per process (`measureCopyNsPerByte`).
   */
  readonly copyNsPerByte?: number | undefined;
  /**
   * A built-in backend that copies the call's tensors is ranked on its prediction times
   * this (default 1.25): its copies add to the memory the call holds (the first-call
   * target is 1.5x in memory too) and its traffic estimate is the less certain, so within
   * 25% the backend that reads the caller's arrays wins.
   */
  readonly copyMargin: number;
  /** Load-and-probe ms assumed for a built-in backend not loaded yet (default `TYPICAL_LOAD_MS`). */
  readonly typicalLoadMs: Readonly<Record<string, number>>;
  /** A call whose main input has more elements than this may load a heavy runtime (default 2^21). */
  readonly loadHeavyAboveElements: number;
}

/**
 * What loading and probing each built-in backend took in Node 20 on the 2-core machine
 * this was written on (the import, its wasm compile or native library, `probe()`); a
 * page adds the download. Backends share runtimes (tfjs-cpu and tfjs-wasm both import
 * tfjs), so these are upper bounds once one of a family is loaded.
 */
export const TYPICAL_LOAD_MS: Readonly<Record<string, number>> = Object.freeze({
  ts: 10,
  'wasm-simd': 60,
  'wasm-simd-mt': 60,
  'onnx-node': 350,
  'tfjs-cpu': 1300,
  'tfjs-wasm': 1500,
  'tfjs-webgl': 1500,
  'tfjs-webgpu': 1500,
  'onnx-wasm': 1900,
  'onnx-webgpu': 1900,
});

export const DEFAULT_COST: CostSettings = Object.freeze({
  proxyAboveElements: 1 << 21,
  proxyElements: 1 << 18,
  calibrationBudget: 0.5,
  copyMargin: 1.25,
  typicalLoadMs: TYPICAL_LOAD_MS,
  loadHeavyAboveElements: 1 << 21,
});

/** How often a backend copies a call's input and output bytes beyond reading and writing them once (ts: never). */
export interface Copies {
  readonly inputs: number;
  readonly outputs: number;
}

export const NO_COPIES: Copies = Object.freeze({ inputs: 0, outputs: 0 });

/**
 * The built-in backends' copies: wasm into its heap and back out; onnx and tfjs snapshot
 * the inputs (they read them after an await), copy them into the runtime's tensors, write
 * a graph's intermediates (counted as two more outputs: onnx-node peaks at 8.6x the input
 * bytes on SoftmaxCE 4096x50000) and read the outputs back. An injected backend's are not known (its prediction is scaled only).
 */
export const COPIES: Readonly<Record<string, Copies>> = Object.freeze({
  ts: NO_COPIES,
  'wasm-simd': { inputs: 1, outputs: 1 },
  'wasm-simd-mt': { inputs: 1, outputs: 1 },
  'onnx-node': { inputs: 2, outputs: 3 },
  'onnx-wasm': { inputs: 2, outputs: 3 },
  'onnx-webgpu': { inputs: 2, outputs: 3 },
  'tfjs-cpu': { inputs: 2, outputs: 3 },
  'tfjs-wasm': { inputs: 2, outputs: 3 },
  'tfjs-webgl': { inputs: 2, outputs: 3 },
  'tfjs-webgpu': { inputs: 2, outputs: 3 },
});

export interface CallCost {
  /** Elements of the main input (pred, input1 or x1). */
  readonly mainElements: number;
  /** Elements read (inputs) and written (loss, gradients). */
  readonly elements: number;
  /** The same in bytes (every tensor is 4-byte float32 or int32). */
  readonly bytes: number;
  /** Bytes of the input tensors. */
  readonly inputBytes: number;
  /** Bytes of the outputs (the loss, and the gradients in forwardBackward). */
  readonly outputBytes: number;
}

const MAIN_INPUT: Readonly<Record<string, string>> = { CosineEmbeddingLoss: 'input1', SDMLLoss: 'x1' };

/** The main input's name for a loss (the one its shape bucket counts). */
export function mainInput(loss: string): string {
  return MAIN_INPUT[loss] ?? 'pred';
}

/** What a call costs, in elements and bytes moved. */
export function estimateCost(plan: CallPlan, mode: CallMode): CallCost {
  let inputs = 0;
  for (const name in plan.tensors) inputs += plan.tensors[name]!.data.length;
  let outputs = sizeOf(plan.outputShape);
  if (mode === 'forwardBackward') for (const name of plan.gradInputs) outputs += plan.tensors[name]!.data.length;
  const elements = inputs + outputs;
  return {
    mainElements: plan.tensors[mainInput(plan.loss)]!.data.length,
    elements,
    bytes: elements * 4,
    inputBytes: inputs * 4,
    outputBytes: outputs * 4,
  };
}

/** Whether a call is large enough that its bucket is timed on a proxy. */
export function needsProxy(cost: CallCost, settings: CostSettings = DEFAULT_COST): boolean {
  return cost.mainElements > settings.proxyAboveElements;
}

/** Whether a call is large enough to load a heavy runtime that is not loaded yet (see the module comment). */
export function loadsHeavy(cost: CallCost, settings: CostSettings = DEFAULT_COST): boolean {
  return cost.mainElements > settings.loadHeavyAboveElements;
}

/** Losses whose cost is not linear in the batch: timed on the real call whatever the size. */
const NO_PROXY: ReadonlySet<string> = new Set(['SDMLLoss']);

export interface Proxy {
  readonly inputs: LossInputs;
  readonly plan: CallPlan;
  /** For the decision's reason: `a proxy of 5 of 4096 rows (250000 elements of pred)`. */
  readonly description: string;
}

/** A bounded proxy of the call (see the module comment), or undefined when the loss gets none. */
export function proxyInputs(plan: CallPlan, settings: CostSettings = DEFAULT_COST): Proxy | undefined {
  if (NO_PROXY.has(plan.loss)) return undefined;
  const mainName = mainInput(plan.loss);
  const main = plan.tensors[mainName]!;
  const batch = main.shape[0]!;
  const perRow = main.data.length / batch;
  const rows = Math.max(1, Math.min(batch, Math.floor(settings.proxyElements / perRow)));
  if (rows === batch) return undefined; // one row is already too big to shrink
  const inputs: Record<string, Tensor | number> = { ...plan.scalars };
  for (const name in plan.tensors) {
    const t = plan.tensors[name]!;
    if (t.shape[0] !== batch) {
      inputs[name] = t; // broadcast over the batch (a [1, C] weight): kept whole
      continue;
    }
    const length = (t.data.length / batch) * rows;
    inputs[name] = { data: t.data.subarray(0, length), shape: [rows, ...t.shape.slice(1)] };
  }
  let proxyPlan: CallPlan;
  try {
    proxyPlan = planCall(plan.loss, plan.config, inputs);
  } catch {
    return undefined; // the batch is not on axis 0 for every tensor: no valid proxy this way
  }
  return {
    inputs,
    plan: proxyPlan,
    description: `timed on a proxy of ${rows} of ${batch} rows (${rows * perRow} elements of ${mainName})`,
  };
}

/**
 * The memory traffic of a call on a backend at `nsPerByte` (ms): every input read and
 * every output written once (what ts does), plus the backend's copies of them.
 */
export function trafficMs(cost: CallCost, copies: Copies, nsPerByte: number): number {
  return (((1 + copies.inputs) * cost.inputBytes + (1 + copies.outputs) * cost.outputBytes) * nsPerByte) / 1e6;
}

/**
 * The real call's predicted ms from a proxy's median, as a roofline: the proxy's time
 * scaled by the elements moved (calls are linear in them, see `estimateCost`; in cache,
 * this is the compute), or the call's memory traffic out of cache (`trafficMs`), whichever
 * is more. `copies` undefined: an injected backend, whose traffic is not known (scaled only).
 */
export function predictCallMs(
  proxyMedianMs: number,
  proxy: CallCost,
  real: CallCost,
  copies: Copies | undefined,
  nsPerByte: number,
): number {
  const compute = proxyMedianMs * (real.elements / proxy.elements);
  return copies === undefined ? compute : Math.max(compute, trafficMs(real, copies, nsPerByte));
}

export interface CandidateCost {
  readonly backend: string;
  /** What loading it would cost now: 0 when loaded (or injected), else its typical load. */
  readonly loadMs: number;
  /** Its memory traffic on the real call (ms, `trafficMs`): a floor under its predicted call. */
  readonly floorMs: number;
}

export interface CalibrationSoFar {
  /** The best prediction so far; undefined before the first candidate is timed. */
  readonly best: { readonly backend: string; readonly predictedMs: number } | undefined;
  /** Spent on this calibration so far (loads and timings, ms). */
  readonly spentMs: number;
  /** `calibrationBudget`. */
  readonly budget: number;
}

/**
 * Whether a large bucket's calibration goes on to `candidate` (undefined) or skips it
 * (the reason). The first candidate is always timed: it is the baseline the budget is a
 * multiple of. A pure rule: no clock, no backend.
 */
export function admitCandidate(candidate: CandidateCost, soFar: CalibrationSoFar): string | undefined {
  const best = soFar.best;
  if (best === undefined) return undefined;
  if (candidate.floorMs >= best.predictedMs)
    return `its memory traffic on this call alone (~${formatMs(candidate.floorMs)}, with its copies) is more than ${best.backend}'s whole predicted call (${formatMs(best.predictedMs)})`;
  // At best it runs at its floor: what it could save on this call must pay for its load.
  if (candidate.loadMs > 0 && best.predictedMs - candidate.floorMs < candidate.loadMs)
    return `loading it (~${formatMs(candidate.loadMs)}) costs more than it could save on this call (${best.backend}'s predicted ${formatMs(best.predictedMs)} less its floor ${formatMs(candidate.floorMs)})`;
  const budgetMs = soFar.budget * best.predictedMs;
  if (soFar.spentMs + candidate.loadMs > budgetMs)
    return candidate.loadMs > 0
      ? `loading it (~${formatMs(candidate.loadMs)}) would take calibration past its budget (${formatMs(budgetMs)}, ${soFar.budget}x ${best.backend}'s predicted call)`
      : `calibration's budget (${formatMs(budgetMs)}, ${soFar.budget}x ${best.backend}'s predicted call) is spent`;
  return undefined;
}

function formatMs(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`;
}

let measuredCopyNsPerByte: number | undefined;

/**
 * This machine's cost of writing fresh memory (ns per byte): one 40 MiB array, allocated
 * and filled. Above glibc's largest mmap threshold (32 MiB), so its pages are new, as a
 * real large call's are (a smaller one may reuse freed heap and time 5x faster).
 * Measured once per process, on the first large bucket with a built-in candidate.
 */
export function measureCopyNsPerByte(): number {
  if (measuredCopyNsPerByte !== undefined) return measuredCopyNsPerByte;
  const elements = 10 << 20;
  const start = performance.now();
  new Float32Array(elements).fill(1);
  measuredCopyNsPerByte = ((performance.now() - start) * 1e6) / (elements * 4);
  return measuredCopyNsPerByte;
}
