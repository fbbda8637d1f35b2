/**
 * What every compiled loss of this backend shares: the weighting rules (one instance,
 * with its scratch buffers), reading inputs as Float32Array, and assembling results in
 * the shapes the spec promises.
 */
import {
  BackendFailureError,
  CompiledLossBase,
  type CallPlan,
  type CanonicalLossName,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { Float32Scratch } from './scratch.js';
import { LossWeighting } from './weighting.js';

export const TS_BACKEND_NAME = 'ts';

export abstract class TsCompiledLoss<L extends CanonicalLossName = CanonicalLossName> extends CompiledLossBase<L> {
  protected readonly weighting = new LossWeighting();
  readonly #integerInputs = new Map<string, Float32Scratch>();

  constructor(loss: L, config: unknown) {
    super(TS_BACKEND_NAME, loss, config);
  }

  /** Every loss computes on the calling thread, synchronously: `out` is filled before a call returns. */
  override get writesOutBeforeReturning(): boolean {
    return true;
  }

  protected abstract override runForward(plan: CallPlan<L>): ForwardResult;
  protected abstract override runForwardBackward(plan: CallPlan<L>, headGrad: FloatTensor): ForwardBackwardResult;

  /**
   * A given input as float32 values. Labels and lengths may come as Int32Array; MXNet
   * reads every input as float32, so they are converted (into a reused buffer), which
   * keeps each loss's loops monomorphic over Float32Array.
   */
  protected floatInput(plan: CallPlan, name: string): Float32Array {
    const data = plan.tensors[name]!.data;
    if (data instanceof Float32Array) return data;
    let scratch = this.#integerInputs.get(name);
    if (scratch === undefined) {
      scratch = new Float32Scratch();
      this.#integerInputs.set(name, scratch);
    }
    const view = scratch.take(data.length);
    view.set(data);
    return view;
  }

  /** Attaches each gradient to its input's own shape, in the order of `plan.gradInputs`. */
  protected result(
    plan: CallPlan,
    loss: FloatTensor,
    grads: Readonly<Record<string, Float32Array | undefined>>,
  ): ForwardBackwardResult {
    const shaped: Record<string, FloatTensor> = {};
    for (const name of plan.gradInputs) {
      const data = grads[name];
      if (data === undefined)
        throw new BackendFailureError(TS_BACKEND_NAME, this.loss, `no gradient computed for ${name}`);
      shaped[name] = { data, shape: [...plan.tensors[name]!.shape] };
    }
    return { loss, grads: shaped };
  }

  protected override release(): void {
    this.weighting.release();
    this.#integerInputs.clear();
    this.releaseScratch();
  }

  /** Frees a loss's own scratch buffers. */
  protected releaseScratch(): void {}
}
