/**
 * `exportOnnx(loss, config, inputShapes, { gradients })`: the ONNX model (bytes) that
 * this backend runs for one loss, config and input signature, for onnxruntime anywhere
 * (Python, C++, mobile, onnxruntime-web). The graph is the one the onnx-* backends are
 * held to MXNet's goldens with; nothing of it depends on the input values, only on
 * their shapes and dtypes.
 *
 * The model's inputs are the loss's inputs by MXNet's names (float32, or int32 where an
 * integer input is declared int32), each with the shape the loss reads it as (MXNet's
 * view: an elementwise label has pred's shape), its call-time scalars as rank-0 float32
 * inputs (PoissonNLLLoss's `epsilon`), host-computed inputs where MXNet's index rules
 * apply (`feed.prepare(plan)`: sparse labels, CTC's rows), and with `gradients: true` a
 * `head_grad` shaped like the loss. Its outputs are `loss` and, with `gradients: true`,
 * `grad_<input>` for every differentiable input given: the vector-Jacobian product with
 * `head_grad` (ones for MXNet's `backward()`).
 *
 * The batch dimension is symbolic (`dim_param: "batch"`) on every input and output that
 * carries it, unless `symbolicBatch: false`: the model then computes MXNet's loss for any
 * batch size, whatever batch size `inputShapes` had. What carries the batch: the axis the
 * loss's reduction keeps (`batch_axis`, any axis), CTC's N (by `layout` and
 * `label_layout`, with its lengths and host inputs), Triplet's `batch_axis`,
 * CosineEmbedding's rows (input2's first axis), PoissonNLL's `batch_axis` (its mean over
 * every element divides by the run-time count); a tensor that broadcasts over the batch
 * (size 1 there, such as a (1, C) pos_weight, or a (N,) sample_weight against
 * SoftmaxCE's (N, 1) loss, which MXNet broadcasts to (N, N)) stays static. At batch size
 * 1 a sample_weight or pos_weight of size 1 is read as broadcasting. It stays static
 * (`batch.symbolic` false, with the reason) where the batch cannot be made symbolic:
 *
 * - SDMLLoss, always: every sample is compared with every other one, and the graph holds
 *   a batch x batch identity as its smoothed targets and divides the smoothing by
 *   batch - 1, constants built for one batch size (batch-layout.ts's STATIC_BATCH; the
 *   graph comparison refuses it too);
 * - an input given flattened (a label of 12 for a (4, 3) pred): its batch is merged with
 *   other axes, so no axis of it grows with the batch alone;
 * - CosineEmbeddingLoss above 2-D: its loss has N*... rows, which grow with the batch but
 *   are not the batch;
 * - a batch_axis that only sample_weight or pos_weight has (PoissonNLL's mean over
 *   everything keeps no axis, so it is not affected);
 * - a 1-D SoftmaxCE pred: one sample, whose only axis is the classes;
 * - anything else the graph comparison finds (graph/symbolic-batch.ts names it).
 *
 * The symbolic model is made from two builds at two other batch sizes (probes), compared
 * node by node: graph/symbolic-batch.ts. `symbolicBatch: true` insists and throws an
 * UnsupportedError where the batch stays static.
 */
import {
  GluonLossError,
  InputError,
  UnsupportedError,
  canonicalLossName,
  lossSpec,
  parseConfig,
  planCall,
  sizeOf,
  type CallPlan,
  type Shape,
  type Tensor,
} from '@gluon-loss/spec';
import { batchLayout } from './batch-layout.js';
import { BATCH_DIM_PARAM, mergeBatchProbes, numbersIn, type BatchMerge } from './graph/symbolic-batch.js';
import { buildLossGraph, type CtcRecursion, type FeedSpec, type LossGraph } from './loss-graph.js';
import { lossGraphBuilder } from './loss-table.js';

/** An input's shape, or its shape and dtype (int32 for an integer input fed as such). */
export type ExportInputShape = Shape | { readonly shape: Shape; readonly dtype: 'float32' | 'int32' };

/** A given input's shape and dtype. */
interface InputSignature {
  shape: Shape;
  dtype: 'float32' | 'int32';
}

export interface OnnxExportOptions {
  /** Also compute the gradient of every differentiable input for `head_grad`. Default false. */
  readonly gradients?: boolean;
  /** CTC's recursions: a Scan (default; CPU EPs) or unrolled over time (EPs without Scan, e.g. WebGPU). */
  readonly ctcRecursion?: CtcRecursion;
  /** Guard Log for x <= 0 (EPs whose Log is not IEEE there, e.g. WebGPU). Default false. */
  readonly guardLog?: boolean;
  /**
   * The batch dimension as `dim_param: "batch"`. Default: wherever the loss allows it
   * (`batch` in the result says which); `true` throws an UnsupportedError where it does
   * not; `false` exports the shapes given.
   */
  readonly symbolicBatch?: boolean;
}

/** Whether the model's batch is symbolic: its axis in every input and output that carries it, or why not. */
export type OnnxExportBatch =
  | {
      readonly symbolic: true;
      readonly dimParam: typeof BATCH_DIM_PARAM;
      readonly axes: Readonly<Record<string, number>>;
    }
  | { readonly symbolic: false; readonly reason: string };

export interface OnnxExport {
  /** A serialised ONNX ModelProto. */
  readonly model: Uint8Array;
  /** The model's inputs, in order: name, dtype, shape, and what feeds it. */
  readonly inputs: readonly FeedSpec[];
  readonly lossOutput: string;
  /** Differentiable input name → gradient output name (with `gradients: true`). */
  readonly gradOutputs: Readonly<Record<string, string>>;
  /** The batch dimension: symbolic (model input and output name → axis) or static, and why. */
  readonly batch: OnnxExportBatch;
}

export function exportOnnx(
  loss: string,
  config: unknown,
  inputShapes: Readonly<Record<string, ExportInputShape | undefined>>,
  options: OnnxExportOptions = {},
): OnnxExport {
  const canonical = canonicalLossName(loss);
  const parsed = parseConfig(canonical, config);
  const declared = lossSpec(canonical).inputs(parsed as never);
  const shapes: Record<string, InputSignature> = {};
  for (const [name, given] of Object.entries(inputShapes)) {
    if (given === undefined) continue;
    const d = declared.find((x) => x.name === name);
    const spec = Array.isArray(given)
      ? { shape: given as Shape, dtype: 'float32' as const }
      : (given as InputSignature);
    if (d?.role === 'scalar') {
      throw new InputError({
        loss: canonical,
        argument: name,
        expected: 'no shape: a call-time scalar is a rank-0 model input of its own',
        received: `a shape for ${name}`,
      });
    }
    if (!Array.isArray(spec.shape) || !spec.shape.every((n) => Number.isInteger(n) && n >= 1)) {
      throw new InputError({
        loss: canonical,
        argument: name,
        expected: 'a shape of one or more positive integer dimensions',
        received: JSON.stringify(spec.shape),
      });
    }
    shapes[name] = spec;
  }
  const plan = planCall(canonical, parsed, zeros(shapes));
  const mode = options.gradients === true ? 'backward' : 'forward';
  const build = (p: CallPlan): LossGraph =>
    buildLossGraph(p, mode, lossGraphBuilder(p.loss), {
      ctcRecursion: options.ctcRecursion ?? 'scan',
      guardLog: options.guardLog ?? false,
      keepShapes: true,
    });
  const graph = build(plan);
  const symbolic =
    options.symbolicBatch === false
      ? ({ symbolic: false, reason: 'symbolicBatch: false' } as const)
      : symbolicBatch(plan, shapes, graph, build);
  if (options.symbolicBatch === true && !symbolic.symbolic)
    throw new UnsupportedError('onnx-export', canonical, `no symbolic batch: ${symbolic.reason}`);
  return {
    model: symbolic.symbolic ? symbolic.model : graph.model,
    inputs: graph.feeds,
    lossOutput: graph.lossOutput,
    gradOutputs: graph.gradOutputs,
    batch: symbolic.symbolic
      ? { symbolic: true, dimParam: BATCH_DIM_PARAM, axes: symbolic.axes }
      : { symbolic: false, reason: symbolic.reason },
  };
}

/**
 * Zero tensors of the given shapes: the graph depends on shapes only, and zeros pass the
 * spec's value checks (class 0, length 0) for every integer input.
 */
function zeros(shapes: Readonly<Record<string, InputSignature>>): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const [name, { shape, dtype }] of Object.entries(shapes)) {
    const size = sizeOf(shape);
    inputs[name] = { data: dtype === 'int32' ? new Int32Array(size) : new Float32Array(size), shape };
  }
  return inputs;
}

/**
 * Batch sizes the probes are built at: primes, none equal to a dimension or constant of
 * the graph built for the given shapes (a shape, a slice bound, a scalar), so that a batch size (and the counts made of it) is
 * unlikely to equal another dimension or constant of the graph. An equal value would be
 * shared (constants are cached by value), the probes would no longer align and the
 * merge would fail, never merge wrongly; another pair is then tried.
 */
const PROBE_BATCH_SIZES = [
  7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127,
  131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199,
];
const PROBE_PAIRS = 3;

type SymbolicResult =
  | { readonly symbolic: true; readonly model: Uint8Array; readonly axes: Readonly<Record<string, number>> }
  | { readonly symbolic: false; readonly reason: string };

function symbolicBatch(
  plan: CallPlan,
  shapes: Readonly<Record<string, InputSignature>>,
  graph: LossGraph,
  build: (p: CallPlan) => LossGraph,
): SymbolicResult {
  const layout = batchLayout(plan);
  if (typeof layout === 'string') return { symbolic: false, reason: layout };
  const taken = numbersIn(graph.model);
  for (const shape of graph.shapes!.values()) for (const d of shape) taken.add(d);
  const sizes = PROBE_BATCH_SIZES.filter((n) => !taken.has(n));
  let merged: BatchMerge = { ok: false, reason: 'no batch size to build the probes at' };
  for (let pair = 0; pair < PROBE_PAIRS && 2 * pair + 1 < sizes.length && !merged.ok; pair++) {
    const probes = [];
    for (const size of sizes.slice(2 * pair, 2 * pair + 2)) {
      const scaled: Record<string, InputSignature> = {};
      for (const [name, s] of Object.entries(shapes)) {
        const axis = layout.axes[name];
        scaled[name] = axis === undefined ? s : { ...s, shape: s.shape.map((d, i) => (i === axis ? size : d)) };
      }
      let probePlan: CallPlan;
      try {
        probePlan = planCall(plan.loss, plan.config, zeros(scaled));
      } catch (e) {
        if (e instanceof GluonLossError) return { symbolic: false, reason: `at batch size ${size}: ${e.message}` };
        throw e;
      }
      const probe = build(probePlan);
      if (probe.feeds.map((f) => f.name).join() !== graph.feeds.map((f) => f.name).join())
        return { symbolic: false, reason: `the graph has other inputs at batch size ${size}` };
      probes.push({ model: probe.model, batch: size, shapes: probe.shapes! });
    }
    merged = mergeBatchProbes(probes[0]!, probes[1]!);
  }
  if (!merged.ok) return { symbolic: false, reason: merged.reason };
  const missing = Object.keys(layout.axes).filter((name) => merged.axes[name] === undefined);
  if (missing.length > 0)
    return {
      symbolic: false,
      reason: `${missing.join(', ')} would carry the batch, but the graph reads it as another axis`,
    };
  return { symbolic: true, model: merged.model, axes: merged.axes };
}
