/**
 * A small ONNX graph builder: typed inputs, initializers, nodes with attributes, named
 * outputs, one opset, and subgraphs (a Scan body). Every value carries its static shape,
 * because a session is built per input shape; the op library (`ops.ts`) and the
 * reverse-mode pass (`autodiff.ts`) rely on it. `toModel()` encodes through onnx-proto's
 * generated ModelProto encoder: no protobuf wire format is written here.
 */
import onnxProto, { type onnx as proto } from 'onnx-proto';
import type { Shape } from '@gluon-loss/spec';

const { onnx } = onnxProto;

/**
 * ai.onnx opset 13: the oldest opset in which every op used here has its current
 * semantics (Softmax on one axis, ReduceSum's axes as an input) and the WebGPU EP has
 * kernels for all of them. ReduceMean and ReduceMax still take `axes` as an attribute
 * in 13 (an input from 18). onnx-proto encodes the ONNX 1.10 schema (IR version 8),
 * which covers opsets up to 15.
 */
export const OPSET_VERSION = 13;
export const IR_VERSION = 8;

export type ElementType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

const ELEMENT_TYPE_CODE: Readonly<Record<ElementType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A value of the graph: an input, an initializer or a node output. */
export interface Value {
  readonly name: string;
  readonly dtype: ElementType;
  readonly shape: Shape;
}

export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'graph'; readonly value: GraphBuilder };

export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ kind: 'ints', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  graph: (value: GraphBuilder): Attribute => ({ kind: 'graph', value }),
} as const;

export interface OutputSpec {
  readonly dtype: ElementType;
  readonly shape: Shape;
}

/** A graph output: `name`, holding `source`. */
interface GraphOutput {
  readonly name: string;
  readonly source: Value;
}

interface NodeRecord {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, Attribute>>;
}

type ConstantData = Float32Array | Int32Array | readonly number[];

/** Unique names across a graph and all its subgraphs (outer-scope names must not clash). */
class NameSource {
  #next = 0;
  fresh(prefix: string): string {
    return `${prefix}_${this.#next++}`;
  }
}

export class GraphBuilder {
  readonly name: string;
  readonly #names: NameSource;
  readonly #root: GraphBuilder | undefined;
  readonly #inputs: Value[] = [];
  readonly #outputs: GraphOutput[] = [];
  readonly #nodes: NodeRecord[] = [];
  readonly #produced = new Set<string>();
  /** Initializers live in the root graph: a subgraph sees them as outer-scope values. */
  readonly #initializers = new Map<string, proto.ITensorProto>();
  readonly #constantCache = new Map<string, Value>();
  /** Every value's shape by name (root only; subgraphs share it): `shapeOf`. */
  readonly #shapes = new Map<string, Shape>();
  #live: { readonly stamp: string; readonly nodes: NodeRecord[] } | undefined;

  constructor(name = 'gluon_loss', parent?: GraphBuilder) {
    this.name = name;
    this.#root = parent === undefined ? undefined : (parent.#root ?? parent);
    this.#names = parent === undefined ? new NameSource() : parent.#names;
  }

  /** A name no other value of this model has (subgraph inputs must not shadow outer names). */
  fresh(prefix: string): string {
    return this.#names.fresh(prefix);
  }

  /** The static shape of every value of this model by name (subgraphs and graph outputs included). */
  get shapes(): ReadonlyMap<string, Shape> {
    return (this.#root ?? this).#shapes;
  }

  #recordShape(name: string, shape: Shape): void {
    (this.#root ?? this).#shapes.set(name, shape);
  }

  /** A graph for a control-flow attribute (a Scan body); it may read this graph's values. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(this.#names.fresh(name), this);
  }

  input(name: string, dtype: ElementType, shape: Shape): Value {
    if (this.#produced.has(name)) throw new Error(`graph input ${name} is defined twice`);
    const value: Value = { name, dtype, shape: [...shape] };
    this.#inputs.push(value);
    this.#produced.add(name);
    this.#recordShape(name, value.shape);
    return value;
  }

  /** An initializer. Float data is stored as raw little-endian bytes, so NaN and ±Inf survive. */
  constant(data: ConstantData, shape: Shape, dtype: ElementType = 'float32'): Value {
    const root = this.#root ?? this;
    const name = this.#names.fresh('const');
    const dims = [...shape];
    const tensor: proto.ITensorProto = { name, dims, dataType: ELEMENT_TYPE_CODE[dtype] };
    switch (dtype) {
      case 'float32': {
        const f = data instanceof Float32Array ? data : Float32Array.from(data);
        tensor.rawData = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
        break;
      }
      case 'float64': {
        const f = Float64Array.from(data);
        tensor.rawData = new Uint8Array(f.buffer);
        break;
      }
      case 'int64':
        tensor.int64Data = Array.from(data);
        break;
      case 'int32':
      case 'bool':
        tensor.int32Data = Array.from(data, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
        break;
    }
    root.#initializers.set(name, tensor);
    root.#produced.add(name);
    root.#recordShape(name, dims);
    return { name, dtype, shape: dims };
  }

  /** A rank-0 constant, shared by every use of the same value and type. */
  scalar(value: number, dtype: ElementType = 'float32'): Value {
    const root = this.#root ?? this;
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`;
    let cached = root.#constantCache.get(key);
    if (cached === undefined) {
      cached = this.constant([value], [], dtype);
      root.#constantCache.set(key, cached);
    }
    return cached;
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared like `scalar`. */
  int64s(values: readonly number[]): Value {
    const root = this.#root ?? this;
    const key = `int64s:${values.join(',')}`;
    let cached = root.#constantCache.get(key);
    if (cached === undefined) {
      cached = this.constant(values, [values.length], 'int64');
      root.#constantCache.set(key, cached);
    }
    return cached;
  }

  /**
   * Appends a node. `inputs` may hold `undefined` for an omitted optional input; the
   * outputs' types and shapes are the caller's (the op library infers them).
   */
  node(
    opType: string,
    inputs: readonly (Value | undefined)[],
    outputs: readonly OutputSpec[],
    attributes: Readonly<Record<string, Attribute>> = {},
  ): Value[] {
    const outs = outputs.map((o) => ({
      name: this.#names.fresh(opType.toLowerCase()),
      dtype: o.dtype,
      shape: [...o.shape],
    }));
    this.#nodes.push({
      opType,
      name: this.#names.fresh(opType),
      inputs: inputs.map((v) => v?.name ?? ''),
      outputs: outs.map((o) => o.name),
      attributes,
    });
    for (const o of outs) {
      this.#produced.add(o.name);
      this.#recordShape(o.name, o.shape);
    }
    return outs;
  }

  /**
   * Declares a graph output under `name`. When encoded, the node that computes the value
   * writes it under that name; only a value that is not a node output here (an input, an
   * initializer) or is already an output gets an Identity, which the WebGPU EP may lack.
   */
  output(value: Value, name: string): Value {
    if (this.#produced.has(name)) throw new Error(`graph output ${name} is defined twice`);
    this.#outputs.push({ name, source: value });
    this.#produced.add(name);
    this.#recordShape(name, value.shape);
    return { name, dtype: value.dtype, shape: value.shape };
  }

  get inputs(): readonly Value[] {
    return this.#inputs;
  }

  get outputs(): readonly Value[] {
    return this.#outputs.map((o) => ({ name: o.name, dtype: o.source.dtype, shape: o.source.shape }));
  }

  /** Op types of the nodes that reach an output, subgraphs included (for placement checks). */
  opTypes(): string[] {
    const types = new Set<string>();
    if (this.#outputRenames().copies.length > 0) types.add('Identity');
    for (const n of this.#liveNodes()) {
      types.add(n.opType);
      for (const a of Object.values(n.attributes))
        if (a.kind === 'graph') for (const t of a.value.opTypes()) types.add(t);
    }
    return [...types].sort();
  }

  /** Number of nodes that reach an output (subgraph bodies counted once). */
  nodeCount(): number {
    let count = this.#outputRenames().copies.length;
    for (const n of this.#liveNodes()) {
      count++;
      for (const a of Object.values(n.attributes)) if (a.kind === 'graph') count += a.value.nodeCount();
    }
    return count;
  }

  /** The serialized ModelProto, ready for `InferenceSession.create`. */
  toModel(): Uint8Array {
    if (this.#root !== undefined)
      throw new Error('toModel() is for the root graph; a subgraph is encoded inside its node');
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'gluon-loss',
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      graph: this.#toGraphProto(),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Names read by this graph's live nodes (and their subgraphs) that it does not define. */
  #outerReads(): Set<string> {
    const defined = new Set<string>(this.#inputs.map((v) => v.name));
    for (const n of this.#nodes) for (const o of n.outputs) defined.add(o);
    const reads = new Set<string>();
    for (const n of this.#liveNodes()) {
      for (const i of n.inputs) if (i !== '' && !defined.has(i)) reads.add(i);
      for (const a of Object.values(n.attributes)) {
        if (a.kind === 'graph') for (const r of a.value.#outerReads()) if (!defined.has(r)) reads.add(r);
      }
    }
    return reads;
  }

  /** The nodes an output depends on, in insertion (topological) order. */
  #liveNodes(): NodeRecord[] {
    const stamp = `${this.#nodes.length}:${this.#outputs.length}`;
    if (this.#live?.stamp === stamp) return this.#live.nodes;
    const producer = new Map<string, NodeRecord>();
    for (const n of this.#nodes) for (const o of n.outputs) producer.set(o, n);
    const live = new Set<NodeRecord>();
    const stack = this.#outputs.map((o) => o.source.name);
    while (stack.length > 0) {
      const name = stack.pop()!;
      const n = producer.get(name);
      if (n === undefined || live.has(n)) continue;
      live.add(n);
      for (const i of n.inputs) if (i !== '') stack.push(i);
      for (const a of Object.values(n.attributes)) if (a.kind === 'graph') stack.push(...a.value.#outerReads());
    }
    const nodes = this.#nodes.filter((n) => live.has(n));
    this.#live = { stamp, nodes };
    return nodes;
  }

  /** Which node outputs are renamed to graph outputs, and which outputs need an Identity. */
  #outputRenames(): { renames: Map<string, string>; copies: GraphOutput[] } {
    const producedByNode = new Set<string>();
    for (const n of this.#nodes) for (const o of n.outputs) producedByNode.add(o);
    const renames = new Map<string, string>();
    const copies: GraphOutput[] = [];
    for (const o of this.#outputs) {
      if (producedByNode.has(o.source.name) && !renames.has(o.source.name)) renames.set(o.source.name, o.name);
      else copies.push(o);
    }
    return { renames, copies };
  }

  /** `outer` renames values of enclosing graphs that this (sub)graph may read. */
  #toGraphProto(outer: ReadonlyMap<string, string> = new Map()): proto.IGraphProto {
    const live = this.#liveNodes();
    const used = new Set<string>();
    for (const n of live) {
      for (const i of n.inputs) used.add(i);
      for (const a of Object.values(n.attributes))
        if (a.kind === 'graph') for (const r of a.value.#outerReads()) used.add(r);
    }
    for (const o of this.#outputs) used.add(o.source.name);
    const { renames, copies } = this.#outputRenames();
    const names = new Map([...outer, ...renames]);
    const named = (n: string): string => names.get(n) ?? n;
    return {
      name: this.name,
      input: this.#inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
      initializer: [...this.#initializers.values()].filter((t) => used.has(t.name!)),
      node: [
        ...live.map((n) => ({
          opType: n.opType,
          name: n.name,
          input: n.inputs.map(named),
          output: n.outputs.map(named),
          attribute: Object.entries(n.attributes).map(([name, a]) =>
            a.kind === 'graph'
              ? { name, type: onnx.AttributeProto.AttributeType.GRAPH, g: a.value.#toGraphProto(names) }
              : attributeProto(name, a),
          ),
        })),
        ...copies.map((o) => ({
          opType: 'Identity',
          name: this.#names.fresh('Identity'),
          input: [named(o.source.name)],
          output: [o.name],
        })),
      ],
    };
  }
}

function valueInfo(v: Value): proto.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: { elemType: ELEMENT_TYPE_CODE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } },
    },
  };
}

function attributeProto(name: string, a: Attribute): proto.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'graph':
      throw new Error('graph attributes are encoded by their node');
  }
}
