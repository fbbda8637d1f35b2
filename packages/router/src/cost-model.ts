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
 */
import { planCall, sizeOf, type CallPlan, type LossInputs, type Tensor } from '@gluon-loss/spec';
import type { CallMode } from './decisions.js';

export interface CostSettings {
  /** A bucket whose main input has more elements than this is timed on a proxy (default 2^21). */
  readonly proxyAboveElements: number;
  /** About how many elements of the main input a proxy has (default 2^18). */
  readonly proxyElements: number;
  /** A call whose main input has more elements than this may load a heavy runtime (default 2^21). */
  readonly loadHeavyAboveElements: number;
}

export const DEFAULT_COST: CostSettings = Object.freeze({
  proxyAboveElements: 1 << 21,
  proxyElements: 1 << 18,
  loadHeavyAboveElements: 1 << 21,
});

export interface CallCost {
  /** Elements of the main input (pred, input1 or x1). */
  readonly mainElements: number;
  /** Elements read (inputs) and written (loss, gradients). */
  readonly elements: number;
  /** The same in bytes (every tensor is 4-byte float32 or int32). */
  readonly bytes: number;
}

const MAIN_INPUT: Readonly<Record<string, string>> = { CosineEmbeddingLoss: 'input1', SDMLLoss: 'x1' };

/** The main input's name for a loss (the one its shape bucket counts). */
export function mainInput(loss: string): string {
  return MAIN_INPUT[loss] ?? 'pred';
}

/** What a call costs, in elements and bytes moved. */
export function estimateCost(plan: CallPlan, mode: CallMode): CallCost {
  let elements = sizeOf(plan.outputShape);
  for (const name in plan.tensors) elements += plan.tensors[name]!.data.length;
  if (mode === 'forwardBackward') for (const name of plan.gradInputs) elements += plan.tensors[name]!.data.length;
  return { mainElements: plan.tensors[mainInput(plan.loss)]!.data.length, elements, bytes: elements * 4 };
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
