/**
 * A model with a symbolic batch dimension, made from two builds of the same graph at two
 * batch sizes (the probes). The graph builder works with static shapes only; instead of
 * teaching every op symbolic shapes, the two encoded models are compared node by node:
 * whatever differs between them is what depends on the batch size, and each difference
 * is either rewritten into a form that holds for every batch size or the merge fails
 * with the reason (the export then stays static). What may differ:
 *
 * - a dimension of a graph (or Scan body) input or output that equals the batch size in
 *   both probes: it becomes `dim_param: "batch"`;
 * - the shape constant of a Reshape: an entry that equals the data's own dimension at the
 *   same index becomes 0 (copy), one other entry becomes -1 (infer), an entry that is the
 *   batch size itself is read at run time;
 * - the shape constant of an Expand: an entry the data already has becomes 1, an entry
 *   that is the batch size is read at run time;
 * - a float scalar that is an integer multiple of the batch size (a mean's count in its
 *   gradient) is computed at run time from the batch size;
 * - a constant tensor that repeats one slice along its batch axis (CTC's masks) becomes
 *   that slice expanded to the run-time batch size.
 *
 * Anything else that differs (nodes, attributes, a constant whose values depend on the
 * batch size such as SDML's identity targets) makes the merge fail. Since both probes
 * are the builder's own correct graphs for their sizes, and the merged graph computes
 * each of them exactly, a merged graph holds no trace of either batch size.
 */
import onnxProto, { type onnx as proto } from 'onnx-proto';
import type { Shape } from '@gluon-loss/spec';

const { onnx } = onnxProto;

export const BATCH_DIM_PARAM = 'batch';

/** One build of the graph at a batch size. */
export interface BatchProbe {
  readonly model: Uint8Array;
  readonly batch: number;
  readonly shapes: ReadonlyMap<string, Shape>;
}

export type BatchMerge =
  | { readonly ok: true; readonly model: Uint8Array; readonly axes: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly reason: string };

class MergeFailure extends Error {}

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (typeof v === 'number' ? v : (v?.toNumber() ?? 0));

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Merges two probes (different batch sizes, both at least 2) into one model with a symbolic batch. */
export function mergeBatchProbes(a: BatchProbe, b: BatchProbe): BatchMerge {
  if (a.batch === b.batch || a.batch < 2 || b.batch < 2) throw new Error('probes need two batch sizes of 2 or more');
  const ma = onnx.ModelProto.decode(a.model);
  const mb = onnx.ModelProto.decode(b.model);
  try {
    const merger = new Merger(a, b, ma.graph!);
    merger.run(mb.graph!);
    return { ok: true, model: onnx.ModelProto.encode(ma).finish(), axes: merger.axes };
  } catch (e) {
    if (e instanceof MergeFailure) return { ok: false, reason: e.message };
    throw e;
  }
}

/**
 * Every number a model's constants and graph inputs and outputs hold: the dims, int64
 * entries (shapes, slice bounds) and float scalars. A probe batch size equal to one of
 * them would share that constant (the builder caches constants by value).
 */
export function numbersIn(model: Uint8Array): Set<number> {
  const graph = onnx.ModelProto.decode(model).graph!;
  const out = new Set<number>();
  for (const t of graph.initializer ?? []) {
    for (const d of t.dims ?? []) out.add(num(d));
    for (const v of t.int64Data ?? []) out.add(num(v));
    if (t.dataType === FLOAT && (t.dims ?? []).length === 0) out.add(floatsOf(t)[0]!);
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])])
    for (const d of v.type?.tensorType?.shape?.dim ?? []) out.add(num(d.dimValue));
  return out;
}

type Entry = number | 'batch';

class Merger {
  readonly #a: BatchProbe;
  readonly #b: BatchProbe;
  readonly #root: proto.IGraphProto;
  readonly #added: proto.INodeProto[] = [];
  readonly #addedInitializers: proto.ITensorProto[] = [];
  #next = 0;
  #batch1d: string | undefined;
  readonly #batchFloat = new Map<number, string>();
  /** Graph input or output name -> its batch axis. */
  readonly axes: Record<string, number> = {};

  constructor(a: BatchProbe, b: BatchProbe, root: proto.IGraphProto) {
    this.#a = a;
    this.#b = b;
    this.#root = root;
  }

  run(other: proto.IGraphProto): void {
    const differing = this.#diffInitializers(this.#root, other);
    this.#mergeGraph(this.#root, other, true);
    this.#rewriteUses(this.#root, differing);
    const stillRead = new Set<string>();
    const collect = (g: proto.IGraphProto): void => {
      for (const n of g.node ?? []) {
        for (const i of n.input ?? []) stillRead.add(i);
        for (const at of n.attribute ?? []) if (at.g) collect(at.g);
      }
    };
    collect(this.#root);
    this.#root.initializer = [
      ...(this.#root.initializer ?? []).filter((t) => !differing.has(t.name!) || stillRead.has(t.name!)),
      ...this.#addedInitializers,
    ];
    this.#root.node = [...this.#added, ...(this.#root.node ?? [])];
  }

  #fail(why: string): never {
    throw new MergeFailure(why);
  }

  #isBatch(x: number, y: number): boolean {
    return x === this.#a.batch && y === this.#b.batch;
  }

  // ---- structure -----------------------------------------------------------------

  #mergeGraph(ga: proto.IGraphProto, gb: proto.IGraphProto, root: boolean): void {
    this.#mergeValueInfos(ga.input ?? [], gb.input ?? [], root, 'input');
    this.#mergeValueInfos(ga.output ?? [], gb.output ?? [], root, 'output');
    const na = ga.node ?? [];
    const nb = gb.node ?? [];
    if (na.length !== nb.length)
      this.#fail(`the graph has ${na.length} nodes at one batch size, ${nb.length} at another`);
    na.forEach((x, i) => {
      const y = nb[i]!;
      const same = (p: readonly string[] | null | undefined, q: readonly string[] | null | undefined): boolean =>
        (p ?? []).join('\u0000') === (q ?? []).join('\u0000');
      if (x.opType !== y.opType || !same(x.input, y.input) || !same(x.output, y.output))
        this.#fail(`node ${x.name} (${x.opType}) differs between batch sizes`);
      const attrsA = x.attribute ?? [];
      const attrsB = y.attribute ?? [];
      if (attrsA.length !== attrsB.length) this.#fail(`node ${x.name} (${x.opType}) has other attributes`);
      attrsA.forEach((p, k) => {
        const q = attrsB[k]!;
        if (p.g && q.g) return this.#mergeGraph(p.g, q.g, false);
        const value = (t: proto.IAttributeProto): string =>
          JSON.stringify([t.name, t.type, num(t.i), t.f ?? 0, (t.ints ?? []).map(num)]);
        if (value(p) !== value(q)) this.#fail(`attribute ${p.name} of ${x.opType} depends on the batch size`);
      });
    });
  }

  #mergeValueInfos(
    xs: readonly proto.IValueInfoProto[],
    ys: readonly proto.IValueInfoProto[],
    root: boolean,
    kind: string,
  ): void {
    if (xs.length !== ys.length) this.#fail(`the graph has another number of ${kind}s`);
    xs.forEach((x, i) => {
      const y = ys[i]!;
      const da = x.type?.tensorType?.shape?.dim ?? [];
      const db = y.type?.tensorType?.shape?.dim ?? [];
      if (x.name !== y.name || da.length !== db.length) this.#fail(`${kind} ${x.name} differs between batch sizes`);
      da.forEach((d, k) => {
        const p = num(d.dimValue);
        const q = num(db[k]!.dimValue);
        if (p === q) return;
        if (!this.#isBatch(p, q))
          this.#fail(`${kind} ${x.name}'s axis ${k} grows with the batch size but is not the batch (${p} vs ${q})`);
        d.dimValue = null;
        d.dimParam = BATCH_DIM_PARAM;
        if (root) {
          if (x.name! in this.axes) this.#fail(`${kind} ${x.name} has more than one batch axis`);
          this.axes[x.name!] = k;
        }
      });
    });
  }

  // ---- constants -----------------------------------------------------------------

  /** Initializers whose dims or values differ: name -> (this probe's, the other's). */
  #diffInitializers(
    ga: proto.IGraphProto,
    gb: proto.IGraphProto,
  ): Map<string, readonly [proto.ITensorProto, proto.ITensorProto]> {
    const ia = ga.initializer ?? [];
    const ib = gb.initializer ?? [];
    if (ia.length !== ib.length) this.#fail('the graph has another number of constants at another batch size');
    const differing = new Map<string, readonly [proto.ITensorProto, proto.ITensorProto]>();
    ia.forEach((x, i) => {
      const y = ib[i]!;
      if (x.name !== y.name || x.dataType !== y.dataType) this.#fail(`constant ${x.name} differs between batch sizes`);
      if (JSON.stringify(comparable(x)) !== JSON.stringify(comparable(y))) differing.set(x.name!, [x, y]);
    });
    return differing;
  }

  #rewriteUses(
    g: proto.IGraphProto,
    differing: ReadonlyMap<string, readonly [proto.ITensorProto, proto.ITensorProto]>,
  ): void {
    for (const n of g.node ?? []) {
      const inputs = n.input ?? [];
      inputs.forEach((name, k) => {
        const pair = differing.get(name);
        if (pair !== undefined) inputs[k] = this.#replacement(n, k, pair[0], pair[1]);
      });
      for (const at of n.attribute ?? []) if (at.g) this.#rewriteUses(at.g, differing);
    }
  }

  /** A value that holds, at every batch size, what constant `x` (batch a) and `y` (batch b) held for node `n`. */
  #replacement(n: proto.INodeProto, k: number, x: proto.ITensorProto, y: proto.ITensorProto): string {
    const dimsA = (x.dims ?? []).map(num);
    const dimsB = (y.dims ?? []).map(num);
    const what = `${n.opType}'s constant of shape [${dimsA.join(', ')}]`;
    if (x.dataType === INT64 && dimsA.length === 1 && dimsB.length === 1 && dimsA[0] === dimsB[0]) {
      const ta = (x.int64Data ?? []).map(num);
      const tb = (y.int64Data ?? []).map(num);
      const data = n.input![0]!;
      const sa = this.#a.shapes.get(data);
      const sb = this.#b.shapes.get(data);
      if (sa === undefined || sb === undefined) this.#fail(`${what}: no shape for ${data}`);
      if (n.opType === 'Reshape' && k === 1)
        return this.#shapeVector(
          reshapeEntries(ta, tb, sa, sb, (p, q) => this.#isBatch(p, q)),
          what,
        );
      if (n.opType === 'Expand' && k === 1)
        return this.#shapeVector(
          expandEntries(ta, tb, sa, sb, (p, q) => this.#isBatch(p, q)),
          what,
        );
      this.#fail(`${what} depends on the batch size`);
    }
    if (x.dataType === FLOAT && dimsA.length === 0 && dimsB.length === 0) {
      const va = floatsOf(x)[0]!;
      const vb = floatsOf(y)[0]!;
      const factor = va / this.#a.batch;
      if (Number.isInteger(factor) && factor > 0 && Math.fround(factor * this.#b.batch) === vb)
        return this.#batchTimes(factor);
      this.#fail(`${n.opType} reads the scalar ${va} at batch size ${this.#a.batch}, ${vb} at ${this.#b.batch}`);
    }
    if (x.dataType === FLOAT && dimsA.length === dimsB.length) {
      const tiled = this.#tiledConstant(x, y, dimsA, dimsB);
      if (tiled !== undefined) return tiled;
    }
    this.#fail(`${what} holds values that depend on the batch size`);
  }

  /** A float constant that repeats one slice along its batch axis, as that slice expanded to the batch. */
  #tiledConstant(x: proto.ITensorProto, y: proto.ITensorProto, dimsA: number[], dimsB: number[]): string | undefined {
    const axes = dimsA.map((_, i) => i).filter((i) => dimsA[i] !== dimsB[i]);
    if (axes.length !== 1 || !this.#isBatch(dimsA[axes[0]!]!, dimsB[axes[0]!]!)) return undefined;
    const axis = axes[0]!;
    const inner = dimsA.slice(axis + 1).reduce((p, d) => p * d, 1);
    const outer = dimsA.slice(0, axis).reduce((p, d) => p * d, 1);
    const slice = (data: Float32Array, batch: number): Float32Array | undefined => {
      const first = new Float32Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const v = data[o * batch * inner + i]!;
          first[o * inner + i] = v;
          for (let bIndex = 1; bIndex < batch; bIndex++)
            if (!Object.is(data[(o * batch + bIndex) * inner + i], v)) return undefined;
        }
      }
      return first;
    };
    const sa = slice(floatsOf(x), this.#a.batch);
    const sb = slice(floatsOf(y), this.#b.batch);
    if (sa === undefined || sb === undefined || !sa.every((v, i) => Object.is(v, sb[i]))) return undefined;
    const sliceDims = dimsA.map((d, i) => (i === axis ? 1 : d));
    const base = this.#initializer('tiled', sliceDims, FLOAT, { rawData: new Uint8Array(sa.buffer) });
    const entries: Entry[] = dimsA.map((d, i) => (i === axis ? 'batch' : d));
    return this.#node('Expand', [base, this.#shapeVector(entries, 'a tiled constant')]);
  }

  // ---- run-time batch size -------------------------------------------------------

  #name(prefix: string): string {
    return `symbolic_batch_${prefix}_${this.#next++}`;
  }

  #node(opType: string, inputs: readonly string[], attribute: proto.IAttributeProto[] = []): string {
    const output = this.#name(opType.toLowerCase());
    this.#added.push({ opType, name: this.#name(opType), input: [...inputs], output: [output], attribute });
    return output;
  }

  #initializer(prefix: string, dims: readonly number[], dataType: number, data: Partial<proto.ITensorProto>): string {
    const name = this.#name(prefix);
    this.#addedInitializers.push({ name, dims: [...dims], dataType, ...data });
    return name;
  }

  #int64s(values: readonly number[]): string {
    return this.#initializer('shape', [values.length], INT64, { int64Data: [...values] });
  }

  /** The batch size at run time, as a 1-D int64 of length 1, read from the first graph input that has it. */
  #batchVector(): string {
    if (this.#batch1d !== undefined) return this.#batch1d;
    const source = Object.entries(this.axes).find(([name]) => (this.#root.input ?? []).some((i) => i.name === name));
    if (source === undefined) this.#fail('no graph input carries the batch, so its size cannot be read at run time');
    const [input, axis] = source;
    const shape = this.#node('Shape', [input]);
    this.#batch1d = this.#node('Slice', [shape, this.#int64s([axis]), this.#int64s([axis + 1]), this.#int64s([0])]);
    return this.#batch1d;
  }

  /** `factor * batch` as a float32 scalar. */
  #batchTimes(factor: number): string {
    let value = this.#batchFloat.get(factor);
    if (value === undefined) {
      const asFloat = this.#node(
        'Cast',
        [this.#batchVector()],
        [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      );
      const scalar = this.#node('Reshape', [asFloat, this.#int64s([])]);
      value =
        factor === 1
          ? scalar
          : this.#node('Mul', [
              scalar,
              this.#initializer('factor', [], FLOAT, { rawData: new Uint8Array(Float32Array.of(factor).buffer) }),
            ]);
      this.#batchFloat.set(factor, value);
    }
    return value;
  }

  /** A 1-D int64 shape whose 'batch' entries are read at run time. */
  #shapeVector(entries: readonly Entry[] | undefined, what: string): string {
    if (entries === undefined) this.#fail(`${what} depends on the batch size in a way no shape rule expresses`);
    if (!entries.includes('batch')) return this.#int64s(entries as number[]);
    const pieces: string[] = [];
    let run: number[] = [];
    for (const e of entries) {
      if (e === 'batch') {
        if (run.length > 0) pieces.push(this.#int64s(run));
        run = [];
        pieces.push(this.#batchVector());
      } else run.push(e);
    }
    if (run.length > 0) pieces.push(this.#int64s(run));
    return pieces.length === 1
      ? pieces[0]!
      : this.#node('Concat', pieces, [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]);
  }
}

/**
 * Reshape's target at every batch size: an entry that equals the data's own dimension at
 * that index in both probes is 0 (copy, opset 13's meaning), then one remaining
 * differing entry may be -1 (inferred), and the batch size itself is read at run time.
 */
function reshapeEntries(
  ta: readonly number[],
  tb: readonly number[],
  sa: Shape,
  sb: Shape,
  isBatch: (p: number, q: number) => boolean,
): Entry[] | undefined {
  const out: Entry[] = [...ta];
  const rest: number[] = [];
  ta.forEach((v, i) => {
    if (v === tb[i]) return;
    if (i < sa.length && sa[i] === v && sb[i] === tb[i]) out[i] = 0;
    else rest.push(i);
  });
  if (rest.length === 1 && !ta.includes(-1)) out[rest[0]!] = -1;
  else
    for (const i of rest) {
      if (!isBatch(ta[i]!, tb[i]!)) return undefined;
      out[i] = 'batch';
    }
  return out;
}

/** Expand's target at every batch size: 1 where the data already has the dimension, else the batch size read at run time. */
function expandEntries(
  ta: readonly number[],
  tb: readonly number[],
  sa: Shape,
  sb: Shape,
  isBatch: (p: number, q: number) => boolean,
): Entry[] | undefined {
  const out: Entry[] = [...ta];
  const offset = ta.length - sa.length;
  for (let i = 0; i < ta.length; i++) {
    if (ta[i] === tb[i]) continue;
    const j = i - offset;
    if (j >= 0 && sa[j] === ta[i] && sb[j] === tb[i]) out[i] = 1;
    else if (isBatch(ta[i]!, tb[i]!)) out[i] = 'batch';
    else return undefined;
  }
  return out;
}

function floatsOf(t: proto.ITensorProto): Float32Array {
  const raw = t.rawData;
  // A copy: the decoder's bytes may be a view into a larger buffer (Node's Buffer pool).
  if (raw && raw.length > 0) return new Float32Array(Uint8Array.from(raw).buffer);
  return Float32Array.from(t.floatData ?? []);
}

/** A constant's dims and values, comparable as JSON (raw bytes as a plain array). */
function comparable(t: proto.ITensorProto): unknown {
  return [
    (t.dims ?? []).map(num),
    Array.from(t.rawData ?? []),
    (t.int64Data ?? []).map(num),
    Array.from(t.int32Data ?? []),
    Array.from(t.floatData ?? []),
  ];
}
