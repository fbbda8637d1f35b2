/**
 * The spec's call plan for tf.Tensor inputs. `planCall` checks names, dtypes, shapes and
 * the values MXNet would read out of bounds; it takes typed arrays. Here a float tensor
 * stands in as a shared zero array of its size (its values stay on the device: nothing
 * in the plan's rules reads a float value), and an integer-valued input (a sparse label,
 * CTC's labels and lengths) is read back, because the loss graphs decide picks and
 * alignments from those values in JS, as the spec's value checks do.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  DtypeError,
  InputError,
  declaredInputs,
  planCall,
  sizeOf,
  type CallPlan,
  type CanonicalLossName,
  type LossConfig,
  type Tensor,
  type TypedData,
} from '@gluon-loss/spec';

/** Zero arrays by size and dtype, shared by every plan (never written). Bounded. */
const placeholders = new Map<string, TypedData>();
const PLACEHOLDER_LIMIT = 32;

function placeholder(dtype: 'float32' | 'int32', size: number): TypedData {
  const key = `${dtype}:${size}`;
  let data = placeholders.get(key);
  if (data === undefined) {
    if (placeholders.size >= PLACEHOLDER_LIMIT) placeholders.clear();
    data = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
    placeholders.set(key, data);
  }
  return data;
}

export interface TensorPlan<L extends CanonicalLossName> {
  readonly plan: CallPlan<L>;
  /** The given tensors by input name, as the caller passed them. */
  readonly tensors: ReadonlyMap<string, tf.Tensor>;
}

function describeValue(v: unknown): string {
  if (v instanceof tf.Tensor) return `a tf.Tensor of dtype ${v.dtype}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a plain array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}

/**
 * Validates positional arguments against the loss's declared inputs and plans the call;
 * throws the spec's InputError, ShapeError or DtypeError, before any op runs.
 */
export function planTensorCall<L extends CanonicalLossName>(
  loss: L,
  config: Readonly<LossConfig<L>>,
  args: readonly unknown[],
): TensorPlan<L> {
  const declared = declaredInputs(loss, config);
  if (args.length > declared.length) {
    throw new InputError({
      loss,
      argument: `argument ${declared.length + 1}`,
      expected: `at most ${declared.length} arguments (${declared.map((d) => d.name).join(', ')})`,
      received: `${args.length} arguments`,
    });
  }
  const inputs: Record<string, Tensor | number> = {};
  const tensors = new Map<string, tf.Tensor>();
  declared.forEach((d, i) => {
    const value = args[i];
    if (value === undefined || value === null) return; // planCall names a missing required input
    if (d.role === 'scalar') {
      inputs[d.name] = value as number; // planCall checks it is a finite number
      return;
    }
    if (!(value instanceof tf.Tensor)) {
      throw new InputError({ loss, argument: d.name, expected: 'a tf.Tensor', received: describeValue(value) });
    }
    if (value.isDisposed) {
      throw new InputError({ loss, argument: d.name, expected: 'a live tf.Tensor', received: 'a disposed tf.Tensor' });
    }
    const dtype = value.dtype;
    if ((dtype !== 'float32' && dtype !== 'int32') || !d.dtypes.includes(dtype)) {
      throw new DtypeError({
        loss,
        argument: d.name,
        expected: `a tf.Tensor of dtype ${d.dtypes.join(' or ')}`,
        received: describeValue(value),
      });
    }
    // Integer-valued inputs are read (synchronously) because the graphs turn them into
    // picks and alignments in JS; float inputs never are.
    const data = d.integer ? (value.dataSync() as TypedData) : placeholder(dtype, sizeOf(value.shape));
    inputs[d.name] = { data, shape: value.shape };
    tensors.set(d.name, value);
  });
  return { plan: planCall(loss, config, inputs), tensors };
}
