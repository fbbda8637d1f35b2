/**
 * `createTfjsOpsBackend(variant)`: `tfLoss` behind the spec's Backend interface, so that
 * the conformance runner holds the tfjs functions to the same goldens as every backend
 * (`tfjs-ops-cpu`, `tfjs-ops-wasm`, `tfjs-ops-webgl`, `tfjs-ops-webgpu`). It is an
 * adapter for testing, not a way to run losses: a call uploads the typed arrays, runs the
 * tfjs function (and `tf.valueAndGrads` of it for forwardBackward) and reads the result
 * back. Like the tfjs backends it activates its variant under backend-tfjs's
 * process-wide lock, so it shares a process with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  VARIANT_ENVIRONMENTS,
  createTfjsBackend,
  runOnEngine,
  variantLossGap,
  type TfjsBackendOptions,
  type TfjsVariant,
} from '@gluon-loss/backend-tfjs';
import {
  BackendUnavailableError,
  CompiledLossBase,
  DisposedError,
  canonicalLossName,
  bitExactOnly,
  ordinaryValues,
  parseConfig,
  type Availability,
  type Backend,
  type CallPlan,
  type CanonicalLossName,
  type CompiledLoss,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type Support,
  type Tensor,
} from '@gluon-loss/spec';
import { tfLoss, type TfLossFunction } from './tf-loss.js';

function upload(t: Tensor): tf.Tensor {
  return t.data instanceof Float32Array
    ? tf.tensor(t.data, [...t.shape], 'float32')
    : tf.tensor(t.data, [...t.shape], 'int32');
}

class TfjsOpsCompiledLoss<L extends CanonicalLossName> extends CompiledLossBase<L> {
  readonly #variant: TfjsVariant;
  readonly #fn: TfLossFunction;

  constructor(backendName: string, variant: TfjsVariant, loss: L, config: unknown) {
    super(backendName, loss, config);
    this.#variant = variant;
    // A parsed config, passed on as it is (tfLoss parses it again: parsing is idempotent).
    this.#fn = tfLoss<string>(this.loss, this.config);
  }

  /**
   * A tfjs function never reads its float inputs back, and MXNet's CTC result for a NaN or
   * infinite activation depends on where it sits (the spec's ctcNanGradient reads pred): the
   * function gives +Inf there, a deviation its README states. The adapter refuses such
   * calls rather than hold the function to what it does not promise.
   */
  override supportsCall(plan: CallPlan<L>): Support {
    // As backend-tfjs's webgl and webgpu variants: their shaders keep special values on
    // their own terms (the spec's ordinary-values rule).
    if (this.#variant === 'webgl' || this.#variant === 'webgpu') {
      const ordinary = ordinaryValues(plan, this.backend);
      if (!ordinary.supported) return ordinary;
    }
    const gap = variantLossGap(this.#variant, plan.loss);
    if (gap !== undefined) return gap;
    // As backend-tfjs on every variant: where the result's class hangs on MXNet's exact
    // rounding (oneDNN's log_softmax, the cosine under an infinite weight).
    const bitExact = bitExactOnly(plan, this.backend);
    if (!bitExact.supported) return bitExact;
    if (plan.loss !== 'CTCLoss') return { supported: true };
    const pred = plan.tensors.pred!.data;
    for (let i = 0; i < pred.length; i++) {
      if (!Number.isFinite(pred[i]!)) {
        return {
          supported: false,
          reason: `pred[${i}] is ${pred[i]}: @gluon-loss/tfjs's CTCLoss reads no activation back, so it cannot give MXNet's NaN pattern`,
        };
      }
    }
    return { supported: true };
  }

  /** The positional arguments of the tfjs function, with `replace` standing in for some inputs. */
  #args(plan: CallPlan<L>, replace: ReadonlyMap<string, tf.Tensor>): Array<tf.Tensor | number | undefined> {
    return this.#fn.inputNames.map((name) => {
      const given = replace.get(name);
      if (given !== undefined) return given;
      const t = plan.tensors[name];
      if (t !== undefined) return upload(t);
      return plan.scalars[name];
    });
  }

  protected async runForward(plan: CallPlan<L>): Promise<ForwardResult> {
    const [loss] = await this.#run(() => [this.#fn(...this.#args(plan, new Map()))]);
    return { loss: loss! };
  }

  protected async runForwardBackward(plan: CallPlan<L>, headGrad: FloatTensor): Promise<ForwardBackwardResult> {
    const names = plan.gradInputs;
    const [loss, ...grads] = await this.#run(() => {
      const xs = names.map((name) => upload(plan.tensors[name]!));
      const dy = tf.tensor(headGrad.data, [...headGrad.shape], 'float32');
      const f = (...tracked: tf.Tensor[]) =>
        this.#fn(...this.#args(plan, new Map(names.map((n, i) => [n, tracked[i]!]))));
      const { value, grads: inputGrads } = tf.valueAndGrads(f)(xs, dy);
      // An input with no path to the loss gets no gradient from tfjs; its gradient is 0.
      return [value, ...xs.map((x, i) => inputGrads[i] ?? tf.zerosLike(x))];
    });
    return { loss: loss!, grads: Object.fromEntries(names.map((name, i) => [name, grads[i]!])) };
  }

  protected override release(): void {
    this.#fn.dispose();
  }

  #run(build: () => tf.Tensor[]): Promise<FloatTensor[]> {
    const call = { backend: this.backend, loss: this.loss, variant: this.#variant };
    return runOnEngine(
      call,
      () => {
        if (this.disposed) throw new DisposedError(this.loss, this.backend);
      },
      build,
    );
  }
}

export function createTfjsOpsBackend(variant: TfjsVariant, options: TfjsBackendOptions = {}): Backend {
  const engine = createTfjsBackend(variant, options);
  const name = `tfjs-ops-${variant}`;
  let availability: Promise<Availability> | undefined;
  const backend: Backend = {
    name,
    environments: VARIANT_ENVIRONMENTS[variant],
    probe(): Promise<Availability> {
      availability ??= engine.probe();
      return availability;
    },
    supports: () => ({ supported: true }),
    async compile(loss: string, config?: unknown): Promise<CompiledLoss> {
      const canonical = canonicalLossName(loss);
      parseConfig(canonical, config);
      const available = await backend.probe();
      if (!available.available) throw new BackendUnavailableError(name, available.reason);
      return new TfjsOpsCompiledLoss(name, variant, canonical, config);
    },
  };
  return backend;
}
