/**
 * Tensors are plain typed arrays with a shape, so that every backend (and a page in a
 * browser) can take them without a conversion layer. The dtype policy is MXNet's: data
 * is float32; labels and lengths may be float32 (as MXNet takes them) or int32.
 */

export type Shape = readonly number[];
export type Dtype = 'float32' | 'int32';
export type TypedData = Float32Array | Int32Array;

export interface Tensor<D extends TypedData = TypedData> {
  readonly data: D;
  readonly shape: Shape;
}

export type FloatTensor = Tensor<Float32Array>;

/** What a forward call takes: tensors by MXNet's input names, plus call-time scalars. */
export type LossInputs = Readonly<Record<string, Tensor | number | undefined>>;

export function tensor<D extends TypedData>(data: D, shape: Shape): Tensor<D> {
  return { data, shape: [...shape] };
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dtypeOf(data: unknown): Dtype | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return undefined;
}

/** Names the container for an error message: "Float64Array", "number[]", "null". */
export function describeData(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a plain array';
  if (ArrayBuffer.isView(data)) return data.constructor.name;
  return typeof data;
}

export function isTensor(value: unknown): value is Tensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    'shape' in value &&
    Array.isArray((value as { shape: unknown }).shape)
  );
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
