/**
 * `exportOnnx(loss, config, inputShapes, { gradients })`: the ONNX model (bytes) that
 * this backend runs for one loss, config and input signature, for onnxruntime anywhere
 * (Python, C++, mobile, onnxruntime-web). The graph is the one the onnx-* backends are
 * held to MXNet's goldens with; nothing of it depends on the input values, only on
 * their shapes and dtypes.
 *
 * The model's inputs are the loss's inputs by MXNet's names (float32, or int32 where an
 * integer input is declared int32), its call-time scalars as rank-0 float32 inputs
 * (PoissonNLLLoss's `epsilon`), and with `gradients: true` a `head_grad` shaped like the
 * loss. Its outputs are `loss` and, with `gradients: true`, `grad_<input>` for every
 * differentiable input given: the vector-Jacobian product with `head_grad` (ones for
 * MXNet's `backward()`).
 *
 * Shapes are static: the graphs are built per input shape (their constants, such as CTC's
 * state masks and the reshapes of the weighting rules, are sized by it), so the batch
 * dimension is not symbolic; export once per batch size.
 */
import {
  InputError,
  canonicalLossName,
  lossSpec,
  parseConfig,
  planCall,
  sizeOf,
  type Shape,
  type Tensor,
} from '@gluon-loss/spec';
import { buildLossGraph, type CtcRecursion, type FeedSpec } from './loss-graph.js';
import { lossGraphBuilder } from './loss-table.js';

/** An input's shape, or its shape and dtype (int32 for an integer input fed as such). */
export type ExportInputShape = Shape | { readonly shape: Shape; readonly dtype: 'float32' | 'int32' };

export interface OnnxExportOptions {
  /** Also compute the gradient of every differentiable input for `head_grad`. Default false. */
  readonly gradients?: boolean;
  /** CTC's recursions: a Scan (default; CPU EPs) or unrolled over time (EPs without Scan, e.g. WebGPU). */
  readonly ctcRecursion?: CtcRecursion;
  /** Guard Log for x <= 0 (EPs whose Log is not IEEE there, e.g. WebGPU). Default false. */
  readonly guardLog?: boolean;
}

export interface OnnxExport {
  /** A serialised ONNX ModelProto. */
  readonly model: Uint8Array;
  /** The model's inputs, in order: name, dtype, shape, and what feeds it. */
  readonly inputs: readonly FeedSpec[];
  readonly lossOutput: string;
  /** Differentiable input name → gradient output name (with `gradients: true`). */
  readonly gradOutputs: Readonly<Record<string, string>>;
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
  const inputs: Record<string, Tensor> = {};
  for (const [name, given] of Object.entries(inputShapes)) {
    if (given === undefined) continue;
    const d = declared.find((x) => x.name === name);
    const spec = Array.isArray(given)
      ? { shape: given as Shape, dtype: 'float32' as const }
      : (given as { shape: Shape; dtype: 'float32' | 'int32' });
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
    // Zeros stand in for the values: the graph depends on shapes only, and zeros pass the
    // spec's value checks (class 0, length 0) for every integer input.
    const size = sizeOf(spec.shape);
    inputs[name] = { data: spec.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size), shape: spec.shape };
  }
  const plan = planCall(canonical, parsed, inputs);
  const graph = buildLossGraph(plan, options.gradients === true ? 'backward' : 'forward', lossGraphBuilder(plan.loss), {
    ctcRecursion: options.ctcRecursion ?? 'scan',
    guardLog: options.guardLog ?? false,
  });
  return { model: graph.model, inputs: graph.feeds, lossOutput: graph.lossOutput, gradOutputs: graph.gradOutputs };
}
