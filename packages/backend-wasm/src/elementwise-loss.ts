/**
 * The call sequence of the losses whose kernel walks two same-sized operands element by
 * element (L1, L2, Huber, Hinge, SquaredHinge, Logistic, PoissonNLL, KLDiv without a
 * broadcast, SigmoidBCE without pos_weight): the operands copied in, the sample_weight
 * per element when the weighting has one, the head gradient per group, then one kernel
 * pass (kernels/walk.h) that computes the loss, the reduction and every gradient.
 */
import type { CallPlan, CanonicalLossName, FloatTensor, ForwardBackwardResult, ForwardResult } from '@gluon-loss/spec';
import { WasmCompiledLoss } from './compiled-loss.js';
import type { KernelCall, KernelHeap } from './kernels.js';
import type { LossWeighting } from './weighting.js';

/** A kernel's scalars: up to four float32 values and an integer flag. */
export type KernelScalars = readonly [a: number, b: number, c: number, d: number, flag: number];

export const NO_SCALARS: KernelScalars = [0, 0, 0, 0, 0];

/** Runs `<kernel>_forward` (`weighting` has begun); returns the filled accumulators. */
export function elementwiseForward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  scalars: KernelScalars,
): Float64Array {
  const n = x.length;
  call.reserveCheck(n * 12 + weighting.groups * 8);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const acc = call.zerosF64(weighting.groups);
  call.kernel(`${kernel}_forward`)(px, py, n, weighting.inner, weighting.groups, pw, acc, ...scalars);
  return call.takeF64(acc, weighting.groups);
}

/** Caller-owned buffers for the two operands' gradients (`out.grads`), where given. */
export interface OperandBuffers {
  readonly gx?: Float32Array | undefined;
  readonly gy?: Float32Array | undefined;
}

/** The caller's buffers (`out.grads`) for pred's and the second operand's gradients. */
export function operandBuffers(call: KernelCall, labelName = 'label'): OperandBuffers {
  return { gx: call.out?.grads?.pred, gy: call.out?.grads?.[labelName] };
}

export interface ElementwiseGrads {
  readonly accumulators: Float64Array;
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  /** What the kernel wrote for sample_weight's gradient (weightGradTarget), or null. */
  readonly weightGrad: Float32Array | null;
}

/** Runs `<kernel>_backward` (loss, reduction and gradients in one pass); `weighting` has begun. */
export function elementwiseForwardBackward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  headGrad: FloatTensor,
  scalars: KernelScalars,
  into: OperandBuffers = {},
): ElementwiseGrads {
  const n = x.length;
  const lossGrad = weighting.lossGrad(headGrad.data);
  call.reserveCheck(n * 24 + weighting.groups * 12);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const pg = call.putF32(lossGrad);
  const acc = call.zerosF64(weighting.groups);
  const gx = call.outF32(n);
  const gy = call.outF32(n);
  const weightGrad = weighting.weightGradTarget();
  const pgw = weightGrad === null ? 0 : call.outF32(n);
  call.kernel(`${kernel}_backward`)(px, py, n, weighting.inner, weighting.groups, pw, pg, acc, gx, gy, pgw, ...scalars);
  if (weightGrad !== null) weightGrad.set(call.f32(pgw, n));
  return {
    accumulators: call.takeF64(acc, weighting.groups),
    gx: call.takeF32(gx, n, into.gx),
    gy: call.takeF32(gy, n, into.gy),
    weightGrad,
  };
}

/** Elements below which a call stays on one thread (a worker round trip costs ~50 µs). */
export const THREAD_THRESHOLD = 1 << 17;
/** Longest run of one block that a unit covers (see kernels/walk.h, units2_*). */
export const UNIT_PIECE = 16384;

interface Units {
  readonly count: number;
  readonly pieces: number;
  readonly piece: number;
}

/** How a call is cut into units, or null when it stays on one thread. */
function unitsOf(call: KernelCall, n: number, inner: number): Units | null {
  if (call.pool === undefined || n < THREAD_THRESHOLD || inner < 16) return null;
  const pieces = inner <= UNIT_PIECE ? 1 : Math.ceil(inner / UNIT_PIECE);
  return { count: (n / inner) * pieces, pieces, piece: pieces === 1 ? inner : UNIT_PIECE };
}

/** Contiguous unit ranges, one per thread (some may be empty). */
function spread(count: number, threads: number): [number, number][] {
  return Array.from({ length: threads }, (_, t) => [
    Math.floor((count * t) / threads),
    Math.floor((count * (t + 1)) / threads),
  ]);
}

/** The unit sums added into the group accumulators in unit order (any thread count: the same bits). */
function sumUnits(sums: Float64Array, pieces: number, groups: number): Float64Array {
  const acc = new Float64Array(groups);
  for (let u = 0; u < sums.length; u++) acc[Math.floor(u / pieces) % groups]! += sums[u]!;
  return acc;
}

/**
 * Runs `kernel` over `count` independent items (units, softmax rows) cut into one
 * contiguous range per thread: the first range here, the others on the call's workers.
 */
export async function runSpread(
  call: KernelCall,
  kernel: string,
  count: number,
  args: (first: number, end: number) => number[],
): Promise<void> {
  const pool = call.pool!;
  const [own, ...rest] = spread(count, pool.size + 1);
  const local = call.kernel(kernel);
  await pool.run(
    rest.filter(([u0, u1]) => u1 > u0).map(([u0, u1]) => ({ kernel, args: args(u0, u1) })),
    () => local(...args(own![0], own![1])),
  );
}

/** `elementwiseForward` spread over the pool when the call is large enough. */
export async function elementwiseForwardThreaded(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  scalars: KernelScalars,
): Promise<Float64Array> {
  const n = x.length;
  const units = unitsOf(call, n, weighting.inner);
  if (units === null) return elementwiseForward(call, kernel, x, y, weighting, scalars);
  call.reserveCheck(n * 12 + units.count * 8);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const sums = call.alloc(units.count * 8);
  const inner = weighting.inner;
  await runSpread(call, `${kernel}_forward_units`, units.count, (u0, u1) => [
    px,
    py,
    inner,
    pw,
    sums,
    u0,
    u1,
    units.pieces,
    units.piece,
    ...scalars,
  ]);
  return sumUnits(call.f64(sums, units.count), units.pieces, weighting.groups);
}

/** `elementwiseForwardBackward` spread over the pool when the call is large enough. */
export async function elementwiseForwardBackwardThreaded(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weighting: LossWeighting,
  headGrad: FloatTensor,
  scalars: KernelScalars,
  into: OperandBuffers = {},
): Promise<ElementwiseGrads> {
  const n = x.length;
  const units = unitsOf(call, n, weighting.inner);
  if (units === null) return elementwiseForwardBackward(call, kernel, x, y, weighting, headGrad, scalars, into);
  const lossGrad = weighting.lossGrad(headGrad.data);
  call.reserveCheck(n * 24 + units.count * 8 + weighting.groups * 4);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const pg = call.putF32(lossGrad);
  const sums = call.alloc(units.count * 8);
  const gx = call.outF32(n);
  const gy = call.outF32(n);
  const weightGrad = weighting.weightGradTarget();
  const pgw = weightGrad === null ? 0 : call.outF32(n);
  const { inner, groups } = weighting;
  await runSpread(call, `${kernel}_backward_units`, units.count, (u0, u1) => [
    px,
    py,
    inner,
    groups,
    pw,
    pg,
    sums,
    gx,
    gy,
    pgw,
    u0,
    u1,
    units.pieces,
    units.piece,
    ...scalars,
  ]);
  if (weightGrad !== null) weightGrad.set(call.f32(pgw, n));
  return {
    accumulators: sumUnits(call.f64(sums, units.count), units.pieces, groups),
    gx: call.takeF32(gx, n, into.gx),
    gy: call.takeF32(gy, n, into.gy),
    weightGrad,
  };
}

/** Which kernel a call runs, and with which scalars (from the plan's config). */
export type KernelChoice<L extends CanonicalLossName> = (plan: CallPlan<L>) => {
  readonly kernel: string;
  readonly scalars: KernelScalars;
};

/** How an elementwise loss differs from the others beyond its kernel. */
export interface ElementwiseOptions {
  /** The name of the second input: `label` (the default), or `target` for PoissonNLLLoss. */
  readonly labelName?: string;
  /** Whether its kernel follows MXNet on special values (WasmCompiledLoss.takesSpecialValues). */
  readonly specialValues?: boolean;
}

export class ElementwiseLoss<L extends CanonicalLossName> extends WasmCompiledLoss<L> {
  private readonly labelName: string;
  readonly #specialValues: boolean;

  constructor(
    loss: L,
    config: unknown,
    heap: KernelHeap,
    private readonly choose: KernelChoice<L>,
    options: ElementwiseOptions = {},
  ) {
    super(loss, config, heap);
    this.labelName = options.labelName ?? 'label';
    this.#specialValues = options.specialValues ?? false;
  }

  protected override get takesSpecialValues(): boolean {
    return this.#specialValues;
  }

  protected forwardIn(call: KernelCall, plan: CallPlan<L>): ForwardResult {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    return {
      loss: weighting.output(elementwiseForward(call, kernel, pred, label, weighting, scalars), call.out?.loss),
    };
  }

  protected override async forwardInThreaded(call: KernelCall, plan: CallPlan<L>): Promise<ForwardResult> {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    const accumulators = await elementwiseForwardThreaded(call, kernel, pred, label, weighting, scalars);
    return { loss: weighting.output(accumulators, call.out?.loss) };
  }

  protected forwardBackwardIn(call: KernelCall, plan: CallPlan<L>, headGrad: FloatTensor): ForwardBackwardResult {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    return this.#result(
      plan,
      headGrad,
      elementwiseForwardBackward(
        call,
        kernel,
        pred,
        label,
        weighting,
        headGrad,
        scalars,
        operandBuffers(call, this.labelName),
      ),
      call,
    );
  }

  protected override async forwardBackwardInThreaded(
    call: KernelCall,
    plan: CallPlan<L>,
    headGrad: FloatTensor,
  ): Promise<ForwardBackwardResult> {
    const { kernel, scalars } = this.choose(plan);
    const weighting = this.weighting.begin(plan, this.reducesInFloat32Order(call, plan));
    const pred = this.input(plan, 'pred');
    const label = this.input(plan, this.labelName);
    const into = operandBuffers(call, this.labelName);
    const r = await elementwiseForwardBackwardThreaded(call, kernel, pred, label, weighting, headGrad, scalars, into);
    return this.#result(plan, headGrad, r, call);
  }

  #result(plan: CallPlan<L>, headGrad: FloatTensor, r: ElementwiseGrads, call: KernelCall): ForwardBackwardResult {
    return this.result(plan, this.weighting.output(r.accumulators, call.out?.loss), {
      pred: r.gx,
      [this.labelName]: r.gy,
      sample_weight: this.weighting.sampleWeightGrad(r.accumulators, headGrad.data, r.weightGrad),
    });
  }
}

/** Runs `<kernel>_forward` of a three-operand kernel (`weighting` has begun). */
export function elementwise3Forward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  weighting: LossWeighting,
  scalars: KernelScalars,
): Float64Array {
  const n = x.length;
  call.reserveCheck(n * 16 + weighting.groups * 8);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pz = call.putF32(z);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const acc = call.zerosF64(weighting.groups);
  call.kernel(`${kernel}_forward`)(px, py, pz, n, weighting.inner, weighting.groups, pw, acc, ...scalars);
  return call.takeF64(acc, weighting.groups);
}

export interface Elementwise3Grads extends ElementwiseGrads {
  readonly gz: Float32Array;
}

/** Runs `<kernel>_backward` of a three-operand kernel, G being `lossGrad` per group. */
export function elementwise3ForwardBackward(
  call: KernelCall,
  kernel: string,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  weighting: LossWeighting,
  lossGrad: ArrayLike<number>,
  scalars: KernelScalars,
): Elementwise3Grads {
  const n = x.length;
  call.reserveCheck(n * 32 + weighting.groups * 12);
  const px = call.putF32(x);
  const py = call.putF32(y);
  const pz = call.putF32(z);
  const pw = weighting.weights === null ? 0 : call.putF32(weighting.weights);
  const pg = call.putF32(lossGrad);
  const acc = call.zerosF64(weighting.groups);
  const gx = call.outF32(n);
  const gy = call.outF32(n);
  const gz = call.outF32(n);
  const weightGrad = weighting.weightGradTarget();
  const pgw = weightGrad === null ? 0 : call.outF32(n);
  call.kernel(`${kernel}_backward`)(
    px,
    py,
    pz,
    n,
    weighting.inner,
    weighting.groups,
    pw,
    pg,
    acc,
    gx,
    gy,
    gz,
    pgw,
    ...scalars,
  );
  if (weightGrad !== null) weightGrad.set(call.f32(pgw, n));
  return {
    accumulators: call.takeF64(acc, weighting.groups),
    gx: call.takeF32(gx, n),
    gy: call.takeF32(gy, n),
    gz: call.takeF32(gz, n),
    weightGrad,
  };
}
