/**
 * What every compiled loss of this backend shares: the weighting rules (one instance,
 * with its scratch buffers), one KernelCall per call (inputs copied into wasm memory
 * once, results copied out into fresh arrays, the call's memory released afterwards if
 * it grew past the cap), and the results assembled in the shapes the spec promises.
 */
import {
  BackendFailureError,
  arithmeticTensors,
  bitExactOnly,
  CompiledLossBase,
  ordinaryValues,
  type BitExactKinds,
  type CallPlan,
  type Support,
  type CanonicalLossName,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type ResultBuffers,
  UnsupportedError,
} from '@gluon-loss/spec';
import { NOT_FINITE, NOT_ORDINARY, WASM_BACKEND_NAME, type KernelCall, type KernelHeap } from './kernels.js';
import { LossWeighting } from './weighting.js';

export abstract class WasmCompiledLoss<L extends CanonicalLossName = CanonicalLossName> extends CompiledLossBase<L> {
  protected readonly weighting = new LossWeighting();

  constructor(
    loss: L,
    config: unknown,
    private readonly heap: KernelHeap,
  ) {
    super(WASM_BACKEND_NAME, loss, config);
  }

  /**
   * Whether this loss's kernel follows MXNet's float32 arithmetic on special values too
   * (NaN, infinities, subnormals, magnitudes beyond 2^24: its element math keeps them where
   * MXNet's does, and such a call's reduction runs in MXNet's order, see
   * `reducesInFloat32Order`). A loss says so once its goldens and the differential tester
   * show it; until then such calls are refused and go to a backend that follows MXNet
   * there (the spec's ordinaryValues).
   */
  protected get takesSpecialValues(): boolean {
    return false;
  }

  /**
   * The kinds of the spec's bitExactOnly calls this loss's kernel reproduces to MXNet's
   * bit: MXNet's order of float32 operations (every kernel is written in it, and a call
   * with magnitudes beyond 2^24 reduces in the per-element layout), more where a loss says
   * so and its goldens show it.
   */
  protected get reproducesBitExact(): BitExactKinds {
    return { float32OperationOrder: true };
  }

  /**
   * Refused: what only a bit-exact model of MXNet reproduces (the spec's bitExactOnly, less
   * what this loss reproduces), and special values in a loss whose kernel is not shown to
   * follow MXNet on them. A call is checked by the same rules (`checksCallInRun`), from
   * the scan of its copies in wasm memory.
   */
  override supportsCall(plan: CallPlan<L>): Support {
    return this.supportsCallGiven(plan);
  }

  /**
   * supportsCall's answer; given the call's `classes` (KernelCall.scanValues' bits over
   * its arithmetic inputs), the spec's rules need no JavaScript pass over the values.
   */
  protected supportsCallGiven(plan: CallPlan<L>, classes?: number): Support {
    const known =
      classes === undefined
        ? undefined
        : { finite: (classes & NOT_FINITE) === 0, moderate: (classes & NOT_ORDINARY) === 0 };
    const bitExact = bitExactOnly(plan, this.backend, this.reproducesBitExact, known);
    if (!bitExact.supported) return bitExact;
    if (this.takesSpecialValues || (classes !== undefined && (classes & NOT_ORDINARY) === 0)) {
      return { supported: true };
    }
    return ordinaryValues(plan, this.backend);
  }

  /** A call is checked after its inputs are copied in and scanned, before any kernel runs (`#admit`). */
  protected override get checksCallInRun(): boolean {
    return true;
  }

  /** What the call's arithmetic inputs hold (`NOT_ORDINARY | NOT_FINITE`), each scanned once per call. */
  #classes(call: KernelCall, plan: CallPlan<L>): number {
    let classes = 0;
    for (const [, tensor] of arithmeticTensors(plan)) classes |= call.scanValues(tensor.data);
    return classes;
  }

  /** Throws supportsCall's UnsupportedError, found from the scan, before anything is computed. */
  #admit(call: KernelCall, plan: CallPlan<L>): void {
    const support = this.supportsCallGiven(plan, this.#classes(call, plan));
    if (!support.supported) throw new UnsupportedError(this.backend, this.loss, support.reason);
  }

  /**
   * Whether the call's reduction must run in MXNet's float32 order (the weighting's
   * per-element layout): when it holds special values (the spec's ordinaryValues, from
   * the scan). The fused layout's float64 sums agree with MXNet only while no partial
   * sum can overflow float32, which ordinary values guarantee.
   */
  protected reducesInFloat32Order(call: KernelCall, plan: CallPlan<L>): boolean {
    return (this.#classes(call, plan) & NOT_ORDINARY) !== 0;
  }

  /**
   * Single-threaded, a call runs its kernel on the calling thread and copies its results
   * out before returning; the threaded variant awaits its workers.
   */
  override get writesOutBeforeReturning(): boolean {
    return !this.heap.threaded;
  }

  protected abstract forwardIn(call: KernelCall, plan: CallPlan<L>): ForwardResult;
  protected abstract forwardBackwardIn(
    call: KernelCall,
    plan: CallPlan<L>,
    headGrad: FloatTensor,
  ): ForwardBackwardResult;

  /**
   * The threaded variant's forms (a loss that spreads its work over the pool overrides
   * them); the others run on this thread, on the same memory.
   */
  protected forwardInThreaded(call: KernelCall, plan: CallPlan<L>): Promise<ForwardResult> | ForwardResult {
    return this.forwardIn(call, plan);
  }

  protected forwardBackwardInThreaded(
    call: KernelCall,
    plan: CallPlan<L>,
    headGrad: FloatTensor,
  ): Promise<ForwardBackwardResult> | ForwardBackwardResult {
    return this.forwardBackwardIn(call, plan, headGrad);
  }

  protected runForward(plan: CallPlan<L>, out?: ResultBuffers): ForwardResult | Promise<ForwardResult> {
    if (this.heap.threaded)
      return this.heap.exclusive(() => this.#threaded(plan, out, (call) => this.forwardInThreaded(call, plan)));
    const call = this.heap.begin(this.loss, out);
    try {
      this.#admit(call, plan);
      return this.forwardIn(call, plan);
    } finally {
      call.end();
    }
  }

  protected runForwardBackward(
    plan: CallPlan<L>,
    headGrad: FloatTensor,
    out?: ResultBuffers,
  ): ForwardBackwardResult | Promise<ForwardBackwardResult> {
    if (this.heap.threaded) {
      return this.heap.exclusive(() =>
        this.#threaded(plan, out, (call) => this.forwardBackwardInThreaded(call, plan, headGrad)),
      );
    }
    const call = this.heap.begin(this.loss, out);
    try {
      this.#admit(call, plan);
      return this.forwardBackwardIn(call, plan, headGrad);
    } finally {
      call.end();
    }
  }

  async #threaded<T>(
    plan: CallPlan<L>,
    out: ResultBuffers | undefined,
    run: (call: KernelCall) => Promise<T> | T,
  ): Promise<T> {
    const call = this.heap.begin(this.loss, out);
    try {
      this.#admit(call, plan);
      return await run(call);
    } finally {
      call.end();
    }
  }

  /** An input's values (Float32Array, or an Int32Array label read as float32). */
  protected input(plan: CallPlan<L>, name: string): Float32Array | Int32Array {
    return plan.tensors[name]!.data;
  }

  /** Attaches each gradient to its input's own shape, in the order of `plan.gradInputs`. */
  protected result(
    plan: CallPlan<L>,
    loss: FloatTensor,
    grads: Readonly<Record<string, Float32Array | undefined>>,
  ): ForwardBackwardResult {
    const shaped: Record<string, FloatTensor> = {};
    for (const name of plan.gradInputs) {
      const data = grads[name];
      if (data === undefined)
        throw new BackendFailureError(WASM_BACKEND_NAME, this.loss, `no gradient computed for ${name}`);
      shaped[name] = { data, shape: [...plan.tensors[name]!.shape] };
    }
    return { loss, grads: shaped };
  }

  protected override release(): void {
    this.weighting.release();
  }
}
