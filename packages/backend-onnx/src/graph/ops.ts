/**
 * The op library the losses are written in: each method emits ONNX nodes, infers the
 * static output shape, and, when an input is differentiable, records a tape entry with
 * the op's vector-Jacobian product, written once here in terms of the same ops. The
 * reverse pass in `autodiff.ts` replays the tape backwards.
 *
 * Only ops with kernels in onnxruntime-web's WebGPU EP are emitted (the CPU variants'
 * CTC Scan aside), so the webgpu variant's graphs stay on the GPU: there is no Max/Min (a
 * `where` instead), no Sign, And, Softplus or LogSoftmax (composed from Exp, Log,
 * ReduceMax, ReduceSum), no multi-output Split, and data stays float32 or bool (int64
 * only in shape and axes constants).
 *
 * Gradient conventions are MXNet's: relu and abs have gradient 0 at 0; `maximum(a, b)`
 * sends the gradient to `a` where `a >= b`.
 */
import { tryBroadcast, sameShape, sizeOf, formatShape, type Shape } from '@gluon-loss/spec';
import { attr, type Attribute, type ElementType, type GraphBuilder, type Value } from './onnx-graph.js';

/** The gradient of each input given the gradient of the output; `needs[i]` says which to build. */
export type VectorJacobianProduct = (grad: Value, needs: readonly boolean[]) => readonly (Value | undefined)[];

export interface TapeEntry {
  readonly inputs: readonly Value[];
  readonly output: Value;
  readonly vjp: VectorJacobianProduct;
}

export type Operand = Value | number;

export interface GraphOpsOptions {
  /**
   * Builds Log as `where(x > 0, Log(x), where(x == 0, -inf, NaN))`, with the gradient
   * `g / x`. WGSL leaves log undefined for x <= 0 (SwiftShader's WebGPU returns
   * log(0) = -88.03 and log(-1) = 0), but MXNet's -inf and NaN there must come out
   * (PoissonNLLLoss with compute_full at target 0). Infinities and NaN in the other ops
   * were measured IEEE on that EP.
   */
  readonly guardLog?: boolean;
  /**
   * Sums as MXNet's float32 sum computes them (`sumFloat32`): in order, accurately, and
   * ±Inf for good once a partial sum overflows. Off, a sum is one ReduceSum, whose
   * vectorised partial sums can meet as Inf - Inf = NaN where MXNet's running sum is
   * already ±Inf. For the CPU EPs; the WebGPU EP only sees ordinary values (it refuses
   * the rest), and has no float64.
   */
  readonly float32Sum?: boolean;
}

/**
 * The most inputs one Concat gets: WebGPU's default limit is 8 storage buffers per shader
 * stage (the output takes one); SwiftShader allows 10, and a 20-input Concat failed there.
 */
const MAX_CONCAT_INPUTS = 7;

/**
 * Below this sum of |x| no partial sum of x can leave float32's range (3.4e38), with a
 * margin far beyond the rounding of the float32 ReduceL1 that measures it.
 */
const SUM_CANNOT_OVERFLOW = 1e38;

function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export class GraphOps {
  readonly graph: GraphBuilder;
  readonly options: GraphOpsOptions;
  readonly tape: TapeEntry[] = [];
  readonly #differentiable = new Set<string>();
  #recording = true;

  constructor(graph: GraphBuilder, options: GraphOpsOptions = {}) {
    this.graph = graph;
    this.options = options;
  }

  /** Marks a value (a graph input) whose gradient is wanted. */
  markDifferentiable(v: Value): void {
    this.#differentiable.add(v.name);
  }

  isDifferentiable(v: Value): boolean {
    return this.#differentiable.has(v.name);
  }

  /** Builds without recording: the inside of a composite op, or the backward pass itself. */
  untaped<T>(build: () => T): T {
    const was = this.#recording;
    this.#recording = false;
    try {
      return build();
    } finally {
      this.#recording = was;
    }
  }

  /**
   * Records a composite op whose gradient is given in closed form: `output` depends on
   * `inputs` only through `vjp` (build the forward nodes with `untaped`).
   */
  record(inputs: readonly Value[], output: Value, vjp: VectorJacobianProduct): Value {
    if (this.#recording && inputs.some((v) => this.isDifferentiable(v))) {
      this.#differentiable.add(output.name);
      this.tape.push({ inputs, output, vjp });
    }
    return output;
  }

  // ---- emission ------------------------------------------------------------------

  #value(x: Operand): Value {
    return typeof x === 'number' ? this.graph.scalar(x) : x;
  }

  #emit(
    opType: string,
    inputs: readonly (Value | undefined)[],
    dtype: ElementType,
    shape: Shape,
    attributes: Readonly<Record<string, Attribute>> = {},
    vjp?: VectorJacobianProduct,
  ): Value {
    const [out] = this.graph.node(opType, inputs, [{ dtype, shape }], attributes);
    const ins = inputs.filter((v): v is Value => v !== undefined);
    if (this.#recording && ins.some((v) => this.isDifferentiable(v))) {
      if (vjp === undefined) throw new Error(`${opType} has no gradient, but one of its inputs is differentiable`);
      this.record(ins, out!, vjp);
    }
    return out!;
  }

  #broadcastShape(opType: string, a: Value, b: Value): Shape {
    const shape = tryBroadcast(a.shape, b.shape);
    if (shape === undefined)
      throw new Error(`${opType}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`);
    return shape;
  }

  // ---- broadcasting arithmetic ---------------------------------------------------

  add(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.#emit('Add', [a, b], 'float32', this.#broadcastShape('Add', a, b), {}, (g, needs) => [
      needs[0] ? this.sumTo(g, a.shape) : undefined,
      needs[1] ? this.sumTo(g, b.shape) : undefined,
    ]);
  }

  sub(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.#emit('Sub', [a, b], 'float32', this.#broadcastShape('Sub', a, b), {}, (g, needs) => [
      needs[0] ? this.sumTo(g, a.shape) : undefined,
      needs[1] ? this.sumTo(this.neg(g), b.shape) : undefined,
    ]);
  }

  mul(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.#emit('Mul', [a, b], 'float32', this.#broadcastShape('Mul', a, b), {}, (g, needs) => [
      needs[0] ? this.sumTo(this.mul(g, b), a.shape) : undefined,
      needs[1] ? this.sumTo(this.mul(g, a), b.shape) : undefined,
    ]);
  }

  div(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    // d(a/b)/db = -a / b^2, as MXNet's broadcast_div backward computes it.
    return this.#emit('Div', [a, b], 'float32', this.#broadcastShape('Div', a, b), {}, (g, needs) => [
      needs[0] ? this.sumTo(this.div(g, b), a.shape) : undefined,
      needs[1] ? this.sumTo(this.neg(this.div(this.mul(g, a), this.square(b))), b.shape) : undefined,
    ]);
  }

  /**
   * MXNet's broadcast_maximum: NaN when either side is NaN (`a + b` then), and the
   * gradient `g * (a >= b)` to `a`, `g * (a < b)` to `b` (products, so a NaN comparison
   * sends nothing either way, and Inf * 0 is NaN, as in MXNet).
   */
  maximum(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    const out = this.untaped(() => {
      const aWins = this.greaterOrEqual(a, b);
      const bWins = this.less(a, b);
      return this.where(aWins, a, this.where(bWins, b, this.add(a, b)));
    });
    return this.record([a, b], out, (g, needs) => [
      needs[0] ? this.sumTo(this.mul(g, this.cast(this.greaterOrEqual(a, b), 'float32')), a.shape) : undefined,
      needs[1] ? this.sumTo(this.mul(g, this.cast(this.less(a, b), 'float32')), b.shape) : undefined,
    ]);
  }

  // ---- unary ---------------------------------------------------------------------

  neg(x: Value): Value {
    return this.#emit('Neg', [x], 'float32', x.shape, {}, (g) => [this.neg(g)]);
  }

  abs(x: Value): Value {
    return this.#emit('Abs', [x], 'float32', x.shape, {}, (g) => [this.mul(g, this.sign(x))]);
  }

  exp(x: Value): Value {
    const out: Value = this.#emit('Exp', [x], 'float32', x.shape, {}, (g) => [this.mul(g, out)]);
    return out;
  }

  /**
   * The gradient is MXNet's `g * (1/x)` (its log_grad is a reciprocal), not `g / x`: at a
   * subnormal x, 1/x is Inf, so a zero g gives NaN and a finite g overflows, as in MXNet.
   */
  log(x: Value): Value {
    const vjp: VectorJacobianProduct = (g) => [this.mul(g, this.reciprocal(x))];
    if (!this.options.guardLog) return this.#emit('Log', [x], 'float32', x.shape, {}, vjp);
    const out = this.untaped(() => {
      const positive = this.#emit('Log', [x], 'float32', x.shape);
      return this.where(this.greater(x, 0), positive, this.where(this.equal(x, 0), -Infinity, Number.NaN));
    });
    return this.record([x], out, vjp);
  }

  sqrt(x: Value): Value {
    const out: Value = this.#emit('Sqrt', [x], 'float32', x.shape, {}, (g) => [this.div(g, this.mul(out, 2))]);
    return out;
  }

  /** `x * x`; exact where Pow might not be. */
  square(x: Value): Value {
    return this.#emit('Mul', [x, x], 'float32', x.shape, {}, (g) => [this.mul(g, this.mul(x, 2))]);
  }

  /**
   * mshadow's relu: x where x > 0, NaN at NaN, else 0 (ONNX's Relu may turn NaN into 0).
   * The gradient is `g * relu'(x)` with relu' 1 for x > 0, NaN at NaN, else 0: a product,
   * so 0 at 0, and NaN where g or x is NaN or g is Inf on the inactive side, as in MXNet.
   */
  relu(x: Value): Value {
    const activeOr = (active: Operand) =>
      this.where(this.greater(x, 0), active, this.where(this.equal(x, x), this.graph.scalar(0), x));
    const out = this.untaped(() => activeOr(x));
    return this.record([x], out, (g) => [
      this.mul(
        g,
        this.untaped(() => activeOr(1)),
      ),
    ]);
  }

  /** -1, 0 or 1 (0 at 0 and for NaN); built from comparisons since the WebGPU EP has no Sign. */
  sign(x: Value): Value {
    return this.untaped(() =>
      this.sub(this.cast(this.greater(x, 0), 'float32'), this.cast(this.less(x, 0), 'float32')),
    );
  }

  /**
   * MXNet's `softrelu`, `log(1 + exp(x))`, composed from Exp and Log because the WebGPU EP
   * has no Softplus. The losses only call it on `-|x| <= 0`, where `1 + exp(x)` cannot
   * overflow; for `exp(x)` below float32's half-ulp of 1 the result rounds to 0, an
   * absolute error under 6e-8.
   */
  softrelu(x: Value): Value {
    return this.log(this.add(this.exp(x), 1));
  }

  /**
   * `1 / x` as its own op (no gradient; used in gradients). Not `Div(1, x)`: ORT's basic
   * graph optimizations fuse `Mul(a, Div(1, x))` into `Div(a, x)`, which loses the Inf of
   * 1/x at a subnormal x (so `0 * (1/x)` is 0 instead of MXNet's NaN).
   */
  reciprocal(x: Value): Value {
    return this.untaped(() => this.#emit('Reciprocal', [x], 'float32', x.shape));
  }

  /** Rounds down (no gradient; used on class indices). */
  floor(x: Value): Value {
    return this.untaped(() => this.#emit('Floor', [x], 'float32', x.shape));
  }

  /** Clamps into [lo, hi] (no gradient; used on class indices). */
  clip(x: Value, lo: number, hi: number): Value {
    return this.untaped(() =>
      this.#emit('Clip', [x, this.graph.scalar(lo), this.graph.scalar(hi)], 'float32', x.shape),
    );
  }

  // ---- comparisons and selection (no gradient flows through a condition) ----------

  greater(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.untaped(() => this.#emit('Greater', [a, b], 'bool', this.#broadcastShape('Greater', a, b)));
  }

  greaterOrEqual(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.untaped(() =>
      this.#emit('GreaterOrEqual', [a, b], 'bool', this.#broadcastShape('GreaterOrEqual', a, b)),
    );
  }

  less(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.untaped(() => this.#emit('Less', [a, b], 'bool', this.#broadcastShape('Less', a, b)));
  }

  equal(x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    return this.untaped(() => this.#emit('Equal', [a, b], 'bool', this.#broadcastShape('Equal', a, b)));
  }

  not(x: Value): Value {
    return this.untaped(() => this.#emit('Not', [x], 'bool', x.shape));
  }

  /** `cond ? a : b`, broadcasting; the gradient goes to the branch that was taken. */
  where(cond: Value, x: Operand, y: Operand): Value {
    const a = this.#value(x);
    const b = this.#value(y);
    const shape = tryBroadcast(cond.shape, this.#broadcastShape('Where', a, b));
    if (shape === undefined) throw new Error(`Where: condition ${formatShape(cond.shape)} does not broadcast`);
    return this.#emit('Where', [cond, a, b], 'float32', shape, {}, (g, needs) => {
      const zero = this.graph.scalar(0);
      return [
        undefined,
        needs[1] ? this.sumTo(this.where(cond, g, zero), a.shape) : undefined,
        needs[2] ? this.sumTo(this.where(cond, zero, g), b.shape) : undefined,
      ];
    });
  }

  /** A cast with no gradient (masks, integer labels used as indices). */
  cast(x: Value, dtype: ElementType): Value {
    if (x.dtype === dtype) return x;
    return this.untaped(() => this.#emit('Cast', [x], dtype, x.shape, { to: attr.int(CAST_CODE[dtype]) }));
  }

  /**
   * An input as float32. An int32 label is cast; its gradient is returned as float32, as
   * MXNet returns the gradient of a label it was given as integers.
   */
  toFloat(x: Value): Value {
    if (x.dtype === 'float32') return x;
    return this.#emit('Cast', [x], 'float32', x.shape, { to: attr.int(CAST_CODE.float32) }, (g) => [g]);
  }

  // ---- reductions ----------------------------------------------------------------

  #reducedShape(
    x: Value,
    axes: readonly number[],
    keepdims: boolean,
  ): { axes: number[]; shape: number[]; kept: number[] } {
    const norm = [...new Set(axes.map((a) => normalizeAxis(a, x.shape.length)))].sort((p, q) => p - q);
    const kept = x.shape.map((d, i) => (norm.includes(i) ? 1 : d));
    const shape = keepdims ? kept : x.shape.filter((_, i) => !norm.includes(i));
    return { axes: norm, shape, kept };
  }

  /** Sum over `axes` (none: the value itself). */
  reduceSum(x: Value, axes: readonly number[], keepdims = false): Value {
    if (axes.length === 0) return x;
    const r = this.#reducedShape(x, axes, keepdims);
    return this.#emit(
      'ReduceSum',
      [x, this.graph.int64s(r.axes)],
      x.dtype,
      r.shape,
      { keepdims: attr.int(keepdims ? 1 : 0) },
      (g) => [this.expand(this.reshape(g, r.kept), x.shape)],
    );
  }

  /**
   * MXNet's float32 sum over `axes` (with `float32Sum`; otherwise `reduceSum`). mshadow
   * adds the elements in row-major order into a compensated float32 sum that stays ±Inf
   * once a partial sum overflows (`[3e38, 3e38, -3e38, -3e38]` sums to Inf; a later
   * opposite Inf or a NaN still makes it NaN). The reduced axes are moved last and
   * flattened, then one `If`:
   *
   * - the sum of |x| over the whole tensor is below 1e38 (so no partial sum can
   *   overflow, and there is no Inf or NaN): one ReduceSum in float64, as accurate as the
   *   compensated float32 sum (ORT's float32 ReduceSum is not, over long axes);
   * - otherwise prefix sums in float64, each cast to float32, where a prefix beyond
   *   float32's range becomes ±Inf. With no such prefix the sum is the last prefix; else
   *   it is the first overflowing prefix plus every Inf and NaN element from there on (a
   *   ReduceSum of zeros, ±Inf and NaN, exact in any order).
   *
   * The gradient is a sum's: g broadcast back.
   */
  sumFloat32(x: Value, axes: readonly number[], keepdims = false): Value {
    if (axes.length === 0) return x;
    if (this.options.float32Sum !== true) return this.reduceSum(x, axes, keepdims);
    const r = this.#reducedShape(x, axes, keepdims);
    const length = r.axes.reduce((n, a) => n * x.shape[a]!, 1);
    if (length === 1) return this.reshape(x, r.shape);
    const out = this.untaped(() => {
      const keptAxes = x.shape.map((_, i) => i).filter((i) => !r.axes.includes(i));
      const rows = keptAxes.reduce((n, a) => n * x.shape[a]!, 1);
      const flat = this.reshape(this.transpose(x, [...keptAxes, ...r.axes]), [rows, length]);
      const magnitude = this.#emit('ReduceL1', [flat], 'float32', [], {
        axes: attr.ints([0, 1]),
        keepdims: attr.int(0),
      });
      const [sum] = this.graph.node(
        'If',
        [this.not(this.less(magnitude, SUM_CANNOT_OVERFLOW))],
        [{ dtype: 'float32', shape: [rows] }],
        {
          then_branch: attr.graph(this.#branch('sum_overflowing', (o) => o.#prefixSum(flat))),
          else_branch: attr.graph(
            this.#branch('sum_finite', (o) => o.cast(o.reduceSum(o.cast(flat, 'float64'), [1]), 'float32')),
          ),
        },
      );
      return this.reshape(sum!, r.shape);
    });
    return this.record([x], out, (g) => [this.expand(this.reshape(g, r.kept), x.shape)]);
  }

  /** A graph with no inputs for a control-flow attribute, its one output built by `build`. */
  #branch(name: string, build: (ops: GraphOps) => Value): GraphBuilder {
    const body = this.graph.subgraph(name);
    const ops = new GraphOps(body, this.options);
    ops.#recording = false;
    body.output(build(ops), body.fresh(`${name}_out`));
    return body;
  }

  /** sumFloat32's overflowing case: rows of `flat` ([rows, length]) summed as mshadow does. */
  #prefixSum(flat: Value): Value {
    const length = flat.shape[1]!;
    const rows = flat.shape[0]!;
    const prefix = this.cast(this.cumSum(this.cast(flat, 'float64'), 1), 'float32');
    const overflowed = this.equal(this.abs(prefix), Infinity);
    const overflowsSoFar = this.cumSum(this.cast(overflowed, 'int32'), 1);
    const nonFinite = this.where(this.equal(this.sub(flat, flat), 0), 0, flat);
    const first = this.where(this.equal(overflowsSoFar, this.graph.scalar(1, 'int32')), prefix, nonFinite);
    const fromOverflow = this.where(
      this.greater(overflowsSoFar, this.graph.scalar(0, 'int32')),
      this.where(overflowed, first, nonFinite),
      0,
    );
    const stuck = this.reduceSum(fromOverflow, [1]);
    const last = this.reshape(this.slice(prefix, 1, length - 1, length), [rows]);
    return this.where(this.equal(stuck, 0), last, stuck);
  }

  /**
   * MXNet's mean: its float32 sum (`sumFloat32`) divided by the count, with the gradient
   * `g / count` broadcast back. Without `float32Sum`, one ReduceMean.
   */
  meanFloat32(x: Value, axes: readonly number[]): Value {
    if (this.options.float32Sum !== true) return this.reduceMean(x, axes);
    const r = this.#reducedShape(x, axes, false);
    const count = r.axes.reduce((n, a) => n * x.shape[a]!, 1);
    return count === 1 ? this.sumFloat32(x, axes) : this.div(this.sumFloat32(x, axes), count);
  }

  /** Mean over `axes` (none: the value itself). */
  reduceMean(x: Value, axes: readonly number[], keepdims = false): Value {
    if (axes.length === 0) return x;
    const r = this.#reducedShape(x, axes, keepdims);
    const count = r.axes.reduce((n, a) => n * x.shape[a]!, 1);
    return this.#emit(
      'ReduceMean',
      [x],
      'float32',
      r.shape,
      { axes: attr.ints(r.axes), keepdims: attr.int(keepdims ? 1 : 0) },
      (g) => [this.expand(this.reshape(this.div(g, count), r.kept), x.shape)],
    );
  }

  /** Max over `axes`, with no gradient: only used as the shift of a log-sum-exp, where it cancels. */
  reduceMax(x: Value, axes: readonly number[], keepdims = false): Value {
    if (axes.length === 0) return x;
    const r = this.#reducedShape(x, axes, keepdims);
    return this.untaped(() =>
      this.#emit('ReduceMax', [x], 'float32', r.shape, {
        axes: attr.ints(r.axes),
        keepdims: attr.int(keepdims ? 1 : 0),
      }),
    );
  }

  /** Inclusive prefix sum along `axis` (no gradient; used on label masks). */
  cumSum(x: Value, axis: number): Value {
    return this.untaped(() =>
      this.#emit('CumSum', [x, this.graph.scalar(normalizeAxis(axis, x.shape.length), 'int64')], x.dtype, x.shape),
    );
  }

  // ---- shape ---------------------------------------------------------------------

  reshape(x: Value, shape: Shape): Value {
    if (sameShape(x.shape, shape)) return x;
    if (sizeOf(shape) !== sizeOf(x.shape)) throw new Error(`Reshape: ${formatShape(x.shape)} to ${formatShape(shape)}`);
    return this.#emit('Reshape', [x, this.graph.int64s(shape)], x.dtype, shape, {}, (g) => [this.reshape(g, x.shape)]);
  }

  /** Broadcasts to `shape` (numpy rules); the gradient sums over the broadcast axes. */
  expand(x: Value, shape: Shape): Value {
    if (sameShape(x.shape, shape)) return x;
    const out = tryBroadcast(x.shape, shape);
    if (out === undefined || !sameShape(out, shape))
      throw new Error(`Expand: ${formatShape(x.shape)} to ${formatShape(shape)}`);
    return this.#emit('Expand', [x, this.graph.int64s(shape)], x.dtype, shape, {}, (g) => [this.sumTo(g, x.shape)]);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.every((p, i) => p === i)) return x;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.#emit(
      'Transpose',
      [x],
      x.dtype,
      perm.map((p) => x.shape[p]!),
      { perm: attr.ints(perm) },
      (g) => [this.transpose(g, inverse)],
    );
  }

  /** `x[..., start:end, ...]` along one axis (no gradient). */
  slice(x: Value, axis: number, start: number, end: number): Value {
    const a = normalizeAxis(axis, x.shape.length);
    const shape = x.shape.map((d, i) => (i === a ? end - start : d));
    return this.untaped(() =>
      this.#emit(
        'Slice',
        [x, this.graph.int64s([start]), this.graph.int64s([end]), this.graph.int64s([a])],
        x.dtype,
        shape,
      ),
    );
  }

  /** Joins along one axis (no gradient); many inputs become a tree of small Concats. */
  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 1) return xs[0]!;
    if (xs.length > MAX_CONCAT_INPUTS) {
      const groups: Value[] = [];
      for (let i = 0; i < xs.length; i += MAX_CONCAT_INPUTS)
        groups.push(this.concat(xs.slice(i, i + MAX_CONCAT_INPUTS), axis));
      return this.concat(groups, axis);
    }
    const first = xs[0]!;
    const a = normalizeAxis(axis, first.shape.length);
    const shape = first.shape.map((d, i) => (i === a ? xs.reduce((n, x) => n + x.shape[a]!, 0) : d));
    return this.untaped(() => this.#emit('Concat', xs, first.dtype, shape, { axis: attr.int(a) }));
  }

  /**
   * The slices of size 1 along one axis, each with that axis dropped (no gradient). One
   * Slice per piece, not a Split: a Split's outputs all bind to one WebGPU shader, which
   * allows 8 storage buffers.
   */
  unstack(x: Value, axis: number): Value[] {
    const a = normalizeAxis(axis, x.shape.length);
    const dropped = x.shape.filter((_, i) => i !== a);
    return Array.from({ length: x.shape[a]! }, (_, i) => this.reshape(this.slice(x, a, i, i + 1), dropped));
  }

  /** Batched matrix product with numpy broadcasting of the batch axes (no gradient). */
  matMul(x: Value, y: Value): Value {
    const m = x.shape[x.shape.length - 2]!;
    const k = x.shape[x.shape.length - 1]!;
    const n = y.shape[y.shape.length - 1]!;
    if (y.shape[y.shape.length - 2] !== k)
      throw new Error(`MatMul: ${formatShape(x.shape)} by ${formatShape(y.shape)}`);
    const batch = tryBroadcast(x.shape.slice(0, -2), y.shape.slice(0, -2));
    if (batch === undefined)
      throw new Error(`MatMul: batch axes of ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
    return this.untaped(() => this.#emit('MatMul', [x, y], 'float32', [...batch, m, n]));
  }

  // ---- composites ----------------------------------------------------------------

  /**
   * `x - max - log(sum(exp(x - max)))` along `axis` (the WebGPU EP has no LogSoftmax).
   * The gradient is the closed form `g - softmax(x) * sum(g)`: the max shift cancels
   * exactly, so it is not differentiated, and softmax is `exp` of the output, never a
   * ratio of large exponentials.
   */
  logSoftmax(x: Value, axis: number): Value {
    const a = normalizeAxis(axis, x.shape.length);
    const out = this.untaped(() => {
      const shifted = this.sub(x, this.reduceMax(x, [a], true));
      return this.sub(shifted, this.log(this.reduceSum(this.exp(shifted), [a], true)));
    });
    return this.record([x], out, (g) => [this.sub(g, this.mul(this.exp(out), this.reduceSum(g, [a], true)))]);
  }

  /** Zeros of a shape (the gradient of an input the loss does not depend on). */
  zeros(shape: Shape): Value {
    return this.untaped(() =>
      this.expand(
        this.reshape(
          this.graph.scalar(0),
          shape.map(() => 1),
        ),
        shape,
      ),
    );
  }

  /** Sums a broadcast gradient back to an operand's shape (the reverse of numpy broadcasting). */
  sumTo(g: Value, shape: Shape): Value {
    if (sameShape(g.shape, shape)) return g;
    const lead = g.shape.length - shape.length;
    const axes: number[] = [];
    g.shape.forEach((d, i) => {
      const target = i < lead ? 1 : shape[i - lead]!;
      if (target === 1 && (d !== 1 || i < lead)) axes.push(i);
    });
    return this.reshape(this.sumFloat32(g, axes, true), shape);
  }
}

const CAST_CODE: Readonly<Record<ElementType, number>> = { float32: 1, float64: 11, int32: 6, int64: 7, bool: 9 };
