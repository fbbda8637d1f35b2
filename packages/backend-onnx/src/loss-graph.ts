/**
 * The Loss base-class rules of MXNet 1.9.1 as graph-building code, written once for all
 * 14 losses: graph inputs read with their view shapes, `loss * sample_weight`
 * (broadcast), `* weight`, the reduction over the non-batch axes, and the two graphs of
 * a compiled loss: the forward graph, and the gradient graph that also takes the head
 * gradient and returns the vector-Jacobian product of every differentiable input
 * (derived by `autodiff.ts`, so the weighting rules get their gradients for free).
 */
import type { CallPlan, CanonicalLossName, Shape } from '@gluon-loss/spec';
import { formatShape, sameShape } from '@gluon-loss/spec';
import { gradients } from './graph/autodiff.js';
import { GraphBuilder, type Value } from './graph/onnx-graph.js';
import { GraphOps } from './graph/ops.js';

export type GraphMode = 'forward' | 'backward';

/** How CTC's alpha/beta recursions are laid out (see losses/ctc.ts). */
export type CtcRecursion = 'unrolled' | 'scan';

export interface LossGraphOptions {
  readonly ctcRecursion: CtcRecursion;
  /** Log guarded for x <= 0 (the WebGPU EP's Log is not IEEE there); see GraphOpsOptions. */
  readonly guardLog: boolean;
  /** Sums and means as MXNet's float32 sum (see GraphOpsOptions.float32Sum). Default false. */
  readonly float32Sum?: boolean;
  /** Return every value's shape with the graph (`LossGraph.shapes`). Default false. */
  readonly keepShapes?: boolean;
}

export interface LossContext<L extends CanonicalLossName = CanonicalLossName> {
  readonly ops: GraphOps;
  readonly plan: CallPlan<L>;
  /** Every given tensor as float32, with its view shape (`plan.views`). */
  readonly inputs: Readonly<Record<string, Value>>;
  /** Call-time scalars (PoissonNLLLoss's epsilon), fed as rank-0 inputs. */
  readonly scalars: Readonly<Record<string, Value>>;
  readonly options: LossGraphOptions;
  /**
   * Feeds the given tensor `name` with `prepare(plan)` instead of its own values: MXNet's
   * index rules (the spec's `pickIndex`, CTC's rounding) applied on the host, since
   * labels and lengths are never differentiated.
   */
  prepare(name: string, prepare: HostValues<L>): void;
  /** A float32 graph input of `shape` fed with `prepare(plan)` on every call. */
  hostInput(name: string, shape: Shape, prepare: HostValues<L>): Value;
}

/** Values computed on the host from a call plan (never from the plan the graph was built for). */
export type HostValues<L extends CanonicalLossName = CanonicalLossName> = (plan: CallPlan<L>) => ArrayLike<number>;

/** A loss file's one job: the unweighted loss tensor, shaped `plan.lossShape`. */
export type UnweightedLossBuilder<L extends CanonicalLossName = CanonicalLossName> = (ctx: LossContext<L>) => Value;

/** One graph input and the call data it is fed from. */
export interface FeedSpec<L extends CanonicalLossName = CanonicalLossName> {
  readonly name: string;
  readonly source: 'tensor' | 'scalar' | 'headGrad' | 'host';
  readonly dtype: 'float32' | 'int32';
  readonly shape: Shape;
  /** For 'host' feeds, and tensors whose values the loss prepares (LossContext.prepare). */
  readonly prepare?: HostValues<L>;
}

export interface LossGraph<L extends CanonicalLossName = CanonicalLossName> {
  readonly model: Uint8Array;
  readonly feeds: readonly FeedSpec<L>[];
  readonly lossOutput: string;
  /** Input name → graph output name, for `plan.gradInputs` (backward graphs only). */
  readonly gradOutputs: Readonly<Record<string, string>>;
  readonly nodeCount: number;
  readonly opTypes: readonly string[];
  /**
   * The static shape of every value of the model by name, with `keepShapes` (the
   * export's symbolic batch); left out otherwise, so cached sessions do not hold it.
   */
  readonly shapes?: ReadonlyMap<string, Shape>;
}

export const HEAD_GRAD_INPUT = 'head_grad';
export const LOSS_OUTPUT = 'loss';
export const gradOutputName = (input: string): string => `grad_${input}`;

/**
 * `_apply_weighting` then MXNet's reduction: `loss * sample_weight`, then `* weight`
 * (in that order, as MXNet multiplies), then mean or sum over every axis but the batch
 * axis, a mean over everything (shape (1,)), or nothing; sums and means as MXNet's
 * float32 sum computes them (ops.sumFloat32) where the graph options ask for it.
 */
export function applyWeightingAndReduction(
  ops: GraphOps,
  loss: Value,
  sampleWeight: Value | undefined,
  plan: CallPlan,
): Value {
  let weighted = sampleWeight === undefined ? loss : ops.mul(loss, sampleWeight);
  if (plan.appliedWeight !== null) weighted = ops.mul(weighted, plan.appliedWeight);
  const nonBatchAxes = weighted.shape.map((_, i) => i).filter((i) => i !== plan.batchAxis);
  switch (plan.reduction) {
    case 'mean':
      return ops.meanFloat32(weighted, nonBatchAxes);
    case 'sum':
      return ops.sumFloat32(weighted, nonBatchAxes);
    case 'mean-all':
      return ops.reshape(
        ops.meanFloat32(
          weighted,
          weighted.shape.map((_, i) => i),
        ),
        [1],
      );
    case 'none':
      return weighted;
  }
}

/** Builds the forward or gradient graph of one call plan. */
export function buildLossGraph<L extends CanonicalLossName>(
  plan: CallPlan<L>,
  mode: GraphMode,
  unweighted: UnweightedLossBuilder<L>,
  options: LossGraphOptions,
): LossGraph<L> {
  const graph = new GraphBuilder(`${plan.loss}_${mode}`);
  const ops = new GraphOps(graph, { guardLog: options.guardLog, float32Sum: options.float32Sum === true });
  const feeds: FeedSpec<L>[] = [];
  const inputs: Record<string, Value> = {};
  const raw: Record<string, Value> = {};
  for (const [name, t] of Object.entries(plan.tensors)) {
    const dtype = t.data instanceof Int32Array ? 'int32' : 'float32';
    const shape = plan.views[name] ?? t.shape;
    const value = graph.input(name, dtype, shape);
    feeds.push({ name, source: 'tensor', dtype, shape });
    if (mode === 'backward' && plan.gradInputs.includes(name)) ops.markDifferentiable(value);
    raw[name] = value;
    inputs[name] = ops.toFloat(value);
  }
  const scalars: Record<string, Value> = {};
  for (const name of Object.keys(plan.scalars)) {
    scalars[name] = graph.input(name, 'float32', []);
    feeds.push({ name, source: 'scalar', dtype: 'float32', shape: [] });
  }

  const prepared: Record<string, HostValues<L>> = {};
  const prepare = (name: string, values: HostValues<L>): void => {
    prepared[name] = values;
  };
  const hostInput = (name: string, shape: Shape, values: HostValues<L>): Value => {
    feeds.push({ name, source: 'host', dtype: 'float32', shape, prepare: values });
    return graph.input(name, 'float32', shape);
  };
  const loss = unweighted({ ops, plan, inputs, scalars, options, prepare, hostInput });
  expectShape(`${plan.loss}: unweighted loss`, loss.shape, plan.lossShape);
  const out = applyWeightingAndReduction(ops, loss, inputs.sample_weight, plan);
  expectShape(`${plan.loss}: output`, out.shape, plan.outputShape);
  graph.output(out, LOSS_OUTPUT);

  const gradOutputs: Record<string, string> = {};
  if (mode === 'backward') {
    const head = graph.input(HEAD_GRAD_INPUT, 'float32', plan.outputShape);
    feeds.push({ name: HEAD_GRAD_INPUT, source: 'headGrad', dtype: 'float32', shape: plan.outputShape });
    const wrt = plan.gradInputs.map((name) => raw[name]!);
    gradients(ops, out, head, wrt).forEach((g, i) => {
      const name = plan.gradInputs[i]!;
      gradOutputs[name] = graph.output(g, gradOutputName(name)).name;
    });
  }
  return {
    model: graph.toModel(),
    feeds: feeds.map((f) => (f.source === 'tensor' && prepared[f.name] ? { ...f, prepare: prepared[f.name] } : f)),
    lossOutput: LOSS_OUTPUT,
    gradOutputs,
    nodeCount: graph.nodeCount(),
    opTypes: graph.opTypes(),
    ...(options.keepShapes === true ? { shapes: graph.shapes } : {}),
  };
}

function expectShape(what: string, got: Shape, want: Shape): void {
  if (!sameShape(got, want)) throw new Error(`${what} has shape ${formatShape(got)}, expected ${formatShape(want)}`);
}
