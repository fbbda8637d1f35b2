/**
 * A loss compiled for one config on one tfjs variant. Per call: the spec has already
 * validated everything (CompiledLossBase runs planCall before runForward), then, alone on
 * the tfjs engine, the variant's backend is activated and the whole graph (inputs, loss,
 * the Loss base-class rules, autodiff) is built and run inside one tf.tidy, which
 * returns only the output tensors; their values are read outside the tidy (tidy walks a
 * returned typed array element by element) and the tensors disposed. Between calls it
 * keeps only its config, its loss graph function and a few shape-keyed constants.
 */
import * as tf from '@tensorflow/tfjs';
import {
  CompiledLossBase,
  DisposedError,
  bitExactOnly,
  ordinaryValues,
  sameShape,
  type CallPlan,
  type CanonicalLossName,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type Support,
} from '@gluon-loss/spec';
import { flattenPlan, kernelRank, planRank } from './flatten.js';
import { applyLossRules } from './loss-rules.js';
import { ConstantCache, LossCall, asFloat32, type TfjsLoss } from './loss-call.js';
import { LOSSES } from './loss-table.js';
import { runOnEngine, type TfjsVariant } from './runtime.js';

/**
 * A loss a variant does not compute at all. tfjs-webgl's SDMLLoss: its shaders' exp and
 * tree sums are further from MXNet's float32 than the goldens' float64 rule allows on a
 * batch of 101 far rows (golden SDMLLoss/far-batch-float32-sums: 0.0031 against a bound
 * of 0.0029), and no cheap test of a call tells such batches apart. Shared with
 * @gluon-loss/tfjs's conformance adapter, which runs the same graphs.
 */
export function variantLossGap(variant: TfjsVariant, loss: CanonicalLossName): Support | undefined {
  if (variant === 'webgl' && loss === 'SDMLLoss') {
    return { supported: false, reason: "tfjs-webgl's exp and sums miss MXNet's SDMLLoss gradient on far batches" };
  }
  return undefined;
}

export class TfjsCompiledLoss<L extends CanonicalLossName = CanonicalLossName> extends CompiledLossBase<L> {
  readonly #variant: TfjsVariant;
  readonly #graph: TfjsLoss<L>;
  readonly #constants = new ConstantCache();

  constructor(backendName: string, variant: TfjsVariant, loss: L, config: unknown) {
    // It reads the inputs inside the engine lock, after an await: each call copies them first.
    super(backendName, loss, config, { readsAfterAwait: true });
    this.#variant = variant;
    this.#graph = LOSSES[this.loss];
  }

  /**
   * tfjs-cpu runs any rank; the other variants' kernels stop at rank 6 or 4 (flatten.ts), so a
   * call that still needs more axes after flattening is refused before it is computed. On
   * every variant, a call whose result class hangs on MXNet's exact rounding (oneDNN's
   * log_softmax on a NaN or +Inf row, a cosine under an infinite weight) is refused by the
   * spec's bitExactOnly: tfjs's log_softmax and sums are the math's.
   */
  override supportsCall(plan: CallPlan<L>): Support {
    const bitExact = bitExactOnly(plan, `tfjs-${this.#variant}`);
    if (!bitExact.supported) return bitExact;
    if (this.#variant === 'cpu') return { supported: true };
    const gap = variantLossGap(this.#variant, plan.loss);
    if (gap !== undefined) return gap;
    // WebGL and WebGPU shaders keep MXNet's special values on their own terms (webgl's
    // relu(-inf) is NaN, its 0/0 is 1): such calls go to a backend that follows MXNet.
    if (this.#variant !== 'wasm') {
      const ordinary = ordinaryValues(plan, `tfjs-${this.#variant}`);
      if (!ordinary.supported) return ordinary;
    }
    const maxRank = kernelRank(this.#variant);
    const rank = planRank(flattenPlan(plan, maxRank));
    if (rank <= maxRank) return { supported: true };
    return {
      supported: false,
      reason: `rank ${rank} after flattening: tfjs-${this.#variant} kernels take at most ${maxRank} axes`,
    };
  }

  protected async runForward(given: CallPlan<L>): Promise<ForwardResult> {
    const plan = flattenPlan(given, kernelRank(this.#variant));
    const [loss] = await this.#run(() => [this.#output(new LossCall(plan, new Map(), this.#constants), plan)]);
    return { loss: loss! };
  }

  protected async runForwardBackward(given: CallPlan<L>, headGrad: FloatTensor): Promise<ForwardBackwardResult> {
    const plan = flattenPlan(given, kernelRank(this.#variant));
    const names = plan.gradInputs;
    const [loss, ...grads] = await this.#run(() => {
      const tracked = names.map((name) => {
        const given = plan.tensors[name]!;
        return tf.tensor(asFloat32(given.data), [...given.shape], 'float32');
      });
      const dy = tf.tensor(headGrad.data, [...headGrad.shape], 'float32');
      const graph = (...xs: tf.Tensor[]) =>
        this.#output(new LossCall(plan, new Map(names.map((name, i) => [name, xs[i]!])), this.#constants), plan);
      const { value, grads: inputGrads } = tf.valueAndGrads(graph)(tracked, dy);
      // An input with no path to the loss gets no gradient from tfjs; its gradient is 0.
      return [value, ...tracked.map((x, i) => inputGrads[i] ?? tf.zerosLike(x))];
    });
    // A flattened plan's gradients hold the inputs' row-major data: only their shapes change back.
    const shaped = (name: string, g: FloatTensor): FloatTensor => ({
      data: g.data,
      shape: [...given.tensors[name]!.shape],
    });
    return { loss: loss!, grads: Object.fromEntries(names.map((name, i) => [name, shaped(name, grads[i]!)])) };
  }

  protected override release(): void {
    this.#constants.clear();
  }

  /** The loss graph, then the shared rules, shaped as MXNet returns it. */
  #output(call: LossCall<L>, plan: CallPlan<L>): tf.Tensor {
    const loss = this.#graph(call);
    const out = applyLossRules(loss, call.has('sample_weight') ? call.input('sample_weight') : undefined, plan);
    return sameShape(out.shape, plan.outputShape) ? out : tf.reshape(out, [...plan.outputShape]);
  }

  #run(build: () => tf.Tensor[]): Promise<FloatTensor[]> {
    const call = { backend: this.backend, loss: this.loss, variant: this.#variant };
    return runOnEngine(
      call,
      () => {
        // dispose() may have run while this call waited for the engine.
        if (this.disposed) throw new DisposedError(this.loss, this.backend);
        this.#constants.trim();
      },
      build,
    );
  }
}
