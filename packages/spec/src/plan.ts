/**
 * The Loss base-class rules of MXNet 1.9.1, applied once for every loss: which inputs a
 * call has, their dtypes and shapes, how sample_weight broadcasts against the loss, the
 * scalar weight, the reduction over the non-batch axes, and the output shape. Every
 * backend runs `planCall` before it touches a tensor, so bad input is rejected the same
 * way everywhere.
 */
import { DtypeError, InputError, ShapeError } from './errors.js';
import type { InputSpec, ReductionKind } from './loss-spec.js';
import { canonicalLossName, lossSpec, type CanonicalLossName, type LossConfig, type LossDetail } from './registry.js';
import { broadcastOrThrow, normalizeAxisOrThrow, sameShape } from './shape.js';
import {
  describeData,
  dtypeOf,
  formatShape,
  isTensor,
  sizeOf,
  type FloatTensor,
  type LossInputs,
  type Shape,
  type Tensor,
  type TypedData,
} from './tensor.js';

/**
 * A validated call of loss `L`: its config and detail carry that loss's own types (from
 * its zod schema and its `shape`), so a backend's loss file reads them without a cast.
 */
export interface CallPlan<L extends CanonicalLossName = CanonicalLossName> {
  readonly loss: L;
  readonly config: Readonly<LossConfig<L>>;
  /** The tensors given, by input name. */
  readonly tensors: Readonly<Record<string, Tensor>>;
  /** Call-time scalars with their defaults filled in. */
  readonly scalars: Readonly<Record<string, number>>;
  /** The shape every given tensor is read as (its own, or the one MXNet reshapes it to). */
  readonly views: Readonly<Record<string, Shape>>;
  /** Shape of the unweighted loss. */
  readonly lossShape: Shape;
  /** Shape after `loss * sample_weight` (broadcast); equals lossShape without sample_weight. */
  readonly weightedShape: Shape;
  /** The scalar MXNet multiplies by, or null. */
  readonly appliedWeight: number | null;
  readonly reduction: ReductionKind;
  /** The batch axis of weightedShape for 'mean' and 'sum'; -1 otherwise. */
  readonly batchAxis: number;
  readonly outputShape: Shape;
  /** The inputs whose gradient forwardBackward returns, in declaration order. */
  readonly gradInputs: readonly string[];
  readonly detail: LossDetail<L>;
}

function checkTensor(loss: string, spec: InputSpec, value: unknown): Tensor {
  if (!isTensor(value)) {
    throw new InputError({
      loss,
      argument: spec.name,
      expected: 'a tensor { data: Float32Array | Int32Array, shape: number[] }',
      received: describeData(value),
    });
  }
  const dtype = dtypeOf(value.data);
  if (dtype === undefined || !spec.dtypes.includes(dtype)) {
    throw new DtypeError({
      loss,
      argument: spec.name,
      expected: spec.dtypes.map((d) => (d === 'float32' ? 'Float32Array' : 'Int32Array')).join(' or '),
      received: describeData(value.data),
    });
  }
  const shape = value.shape;
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError({
      loss,
      argument: spec.name,
      expected: 'a shape of one or more positive integer dimensions',
      received: `[${shape.join(', ')}]`,
    });
  }
  if (value.data.length !== sizeOf(shape)) {
    throw new ShapeError({
      loss,
      argument: spec.name,
      expected: `${sizeOf(shape)} elements for shape ${formatShape(shape)}`,
      received: `${value.data.length} elements`,
    });
  }
  return value;
}

/** Validates a forward call's inputs against a parsed config; throws a GluonLossError. */
export function planCall<L extends CanonicalLossName>(
  lossName: L,
  config: Readonly<LossConfig<L>>,
  inputs: LossInputs,
): CallPlan<L>;
export function planCall(lossName: string, config: Readonly<Record<string, unknown>>, inputs: LossInputs): CallPlan;
export function planCall(lossName: string, config: Readonly<Record<string, unknown>>, inputs: LossInputs): CallPlan {
  const loss = canonicalLossName(lossName);
  const spec = lossSpec(loss);
  if (typeof inputs !== 'object' || inputs === null) {
    throw new InputError({
      loss,
      argument: 'inputs',
      expected: 'an object of named inputs',
      received: describeData(inputs),
    });
  }
  const declared = spec.inputs(config as never);
  for (const name of Object.keys(inputs)) {
    if (!declared.some((d) => d.name === name) && inputs[name] !== undefined) {
      throw new InputError({
        loss,
        argument: name,
        expected: `one of the inputs ${declared.map((d) => d.name).join(', ')}`,
        received: `unknown input ${JSON.stringify(name)}`,
      });
    }
  }
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, number> = {};
  for (const d of declared) {
    const value = inputs[d.name];
    if (value === undefined || value === null) {
      if (!d.optional)
        throw new InputError({ loss, argument: d.name, expected: `a value (${d.description})`, received: 'nothing' });
      if (d.role === 'scalar') scalars[d.name] = d.defaultValue!;
      continue;
    }
    if (d.role === 'scalar') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        // A NaN or an infinity is a number too: show the value, not its type.
        const received = typeof value === 'number' ? String(value) : describeData(value);
        throw new InputError({ loss, argument: d.name, expected: 'a finite number', received });
      }
      scalars[d.name] = value;
    } else {
      tensors[d.name] = checkTensor(loss, d, value);
    }
  }
  const shapes: Record<string, Shape> = {};
  for (const [name, t] of Object.entries(tensors)) shapes[name] = t.shape;
  const own = spec.shape(config as never, shapes);
  const sampleWeight = shapes.sample_weight;
  const weightedShape =
    sampleWeight === undefined
      ? own.lossShape
      : broadcastOrThrow(loss, 'sample_weight', sampleWeight, 'the loss', own.lossShape);
  let batchAxis = -1;
  let outputShape: Shape;
  switch (own.reduction) {
    case 'mean':
    case 'sum':
      batchAxis = normalizeAxisOrThrow(
        loss,
        'batch_axis',
        config.batch_axis as number,
        'the weighted loss',
        weightedShape,
      );
      outputShape = [weightedShape[batchAxis]!];
      break;
    case 'mean-all':
      outputShape = [1];
      break;
    case 'none':
      outputShape = weightedShape;
      break;
  }
  spec.checkValues?.(config as never, tensors, own);
  // The one place a plan's types are asserted: `lossSpec` finds the spec by a run-time
  // name, so config and detail are untyped here, but they are the ones that loss's own
  // schema parsed and its own `shape` returned, i.e. LossConfig<L> and LossDetail<L>.
  const plan = {
    loss,
    config,
    tensors,
    scalars,
    views: Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, own.views[n] ?? s])),
    lossShape: own.lossShape,
    weightedShape,
    appliedWeight: own.appliedWeight,
    reduction: own.reduction,
    batchAxis,
    outputShape,
    gradInputs: declared.filter((d) => d.differentiable && tensors[d.name] !== undefined).map((d) => d.name),
    detail: own.detail,
  };
  return plan as unknown as CallPlan;
}

/**
 * The head gradient of forwardBackward: float32, the output's shape. None given means
 * ones, as MXNet's `loss.backward()` without an argument (the gradient of the sum of
 * the output; for a mean over the batch pass 1/B).
 */
export function checkHeadGrad(plan: CallPlan, headGrad: unknown): FloatTensor {
  if (headGrad === undefined) {
    return { data: new Float32Array(sizeOf(plan.outputShape)).fill(1), shape: [...plan.outputShape] };
  }
  if (!isTensor(headGrad) || !(headGrad.data instanceof Float32Array)) {
    throw new DtypeError({
      loss: plan.loss,
      argument: 'headGrad',
      expected: `a Float32Array tensor of shape ${formatShape(plan.outputShape)}`,
      received: isTensor(headGrad) ? describeData(headGrad.data) : describeData(headGrad),
    });
  }
  if (!sameShape(headGrad.shape, plan.outputShape)) {
    throw new ShapeError({
      loss: plan.loss,
      argument: 'headGrad',
      expected: `the output shape ${formatShape(plan.outputShape)}`,
      received: formatShape(headGrad.shape),
    });
  }
  if (headGrad.data.length !== sizeOf(plan.outputShape)) {
    // The shape is right; its data is not as long as the shape says.
    throw new ShapeError({
      loss: plan.loss,
      argument: 'headGrad',
      expected: `${sizeOf(plan.outputShape)} elements for the output shape ${formatShape(plan.outputShape)}`,
      received: `${headGrad.data.length} elements`,
    });
  }
  return headGrad as FloatTensor;
}

/** Typed arrays made by `snapshotTensor`: owned by gluon-loss, never seen by the caller. */
const SNAPSHOTS = new WeakSet<TypedData>();

/**
 * A copy of a validated tensor (data and shape) that the caller cannot change: what a
 * call reads after its first await. A snapshot is not copied again (the router takes one
 * before it awaits a backend, and the backend's compiled loss would take another).
 */
export function snapshotTensor<T extends Tensor>(t: T): T {
  if (SNAPSHOTS.has(t.data)) return t;
  const data = t.data.slice();
  SNAPSHOTS.add(data);
  return { data, shape: [...t.shape] } as unknown as T;
}

/** The plan with every tensor replaced by its snapshot (scalars are copied by value already). */
export function snapshotPlan<L extends CanonicalLossName>(plan: CallPlan<L>): CallPlan<L> {
  const tensors: Record<string, Tensor> = {};
  for (const name in plan.tensors) tensors[name] = snapshotTensor(plan.tensors[name]!);
  return { ...plan, tensors };
}
