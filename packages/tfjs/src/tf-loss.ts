/**
 * `tfLoss(name, config)`: one of MXNet Gluon's losses as a synchronous TensorFlow.js
 * function of tf.Tensors. It builds backend-tfjs's graph for the loss (the same graph,
 * customGrad ops and Loss base-class rules the tfjs backends are held to the goldens
 * with) on the caller's tensors, on whatever tfjs backend the application runs, so
 * `tf.grad`, `tf.variableGrads` and `optimizer.minimize` differentiate through it.
 *
 * Each call runs in its own `tf.tidy` that returns only the output, so it leaves no
 * tensor behind inside or outside the caller's tidy. Between calls it keeps only a few
 * shape-keyed constants (CTC's state shifts, SDML's smoothed labels), bounded, freed by
 * `dispose()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ConstantCache,
  LossCall,
  LOSSES,
  applyLossRules,
  flattenPlan,
  kernelRank,
  planRank,
} from '@gluon-loss/backend-tfjs/graphs';
import {
  BackendFailureError,
  ConfigError,
  DisposedError,
  UnsupportedError,
  canonicalLossName,
  declaredInputs,
  isGluonLossError,
  parseConfig,
  sameShape,
  type CallPlan,
  type CanonicalLossName,
  type LossConfig,
  type ConfigOf,
  type LossNameArg,
} from '@gluon-loss/spec';
import { detached } from './detached.js';
import { planTensorCall } from './tensor-plan.js';

/** How the per-sample output is reduced: `'none'` (MXNet's output, the default), or to a scalar. */
export type Reduction = 'none' | 'mean' | 'sum';

export const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

export interface TfLossOptions {
  readonly reduction?: Reduction;
}

/** A loss as a tfjs function: the inputs in MXNet's positional order, then the loss tensor. */
export interface TfLossFunction {
  (...inputs: Array<tf.Tensor | number | undefined>): tf.Tensor;
  readonly loss: CanonicalLossName;
  /** The parsed config, MXNet's defaults filled in. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly reduction: Reduction;
  /** The input names in positional order (`['pred', 'label', 'sample_weight']`). */
  readonly inputNames: readonly string[];
  /** Frees the constants kept between calls; later calls throw DisposedError. Idempotent. */
  dispose(): void;
}

/** Backend name used in errors: the tfjs backend the call ran on. */
function backendName(): string {
  return `tfjs-ops-${tf.getBackend()}`;
}

/** The graphs' view of one call on the caller's tensors. */
class TensorLossCall<L extends CanonicalLossName> extends LossCall<L> {
  readonly #detached = new Map<string, tf.Tensor>();

  /** Off-tape copies on the device, where backend-tfjs would upload the JS values again. */
  override constant(name: string): tf.Tensor {
    let t = this.#detached.get(name);
    if (t === undefined) {
      t = detached(this.input(name));
      this.#detached.set(name, t);
    }
    return t;
  }
}

function checkReduction(loss: CanonicalLossName, options: TfLossOptions | undefined): Reduction {
  const reduction = options?.reduction ?? 'none';
  if (!REDUCTIONS.includes(reduction)) {
    throw new ConfigError({
      loss,
      argument: 'reduction',
      expected: REDUCTIONS.map((r) => `'${r}'`).join(', '),
      received: JSON.stringify(reduction),
    });
  }
  return reduction;
}

/**
 * A literal name must be one of MXNet's (a typo fails to compile) and its config is typed;
 * a name known only at run time (`string`) is checked when called, as everywhere.
 */
export function tfLoss<N extends string>(
  name: LossNameArg<N>,
  config?: ConfigOf<N>,
  options?: TfLossOptions,
): TfLossFunction {
  const loss = canonicalLossName(name);
  return lossFunction(loss, Object.freeze(parseConfig(loss, config)), options);
}

/** The function of one loss, typed by it, so its graph reads its own config and detail. */
function lossFunction<L extends CanonicalLossName>(
  loss: L,
  parsed: Readonly<LossConfig<L>>,
  options: TfLossOptions | undefined,
): TfLossFunction {
  const reduction = checkReduction(loss, options);
  const graph = LOSSES[loss];
  const constants = new ConstantCache();
  let disposed = false;

  const output = (call: TensorLossCall<L>, plan: CallPlan<L>, outputShape: readonly number[]): tf.Tensor => {
    const raw = graph(call);
    const weighted = applyLossRules(raw, call.has('sample_weight') ? call.input('sample_weight') : undefined, plan);
    const out = sameShape(weighted.shape, outputShape) ? weighted : tf.reshape(weighted, [...outputShape]);
    if (reduction === 'mean') return tf.mean(out);
    if (reduction === 'sum') return tf.sum(out);
    return out;
  };

  const fn = (...args: Array<tf.Tensor | number | undefined>): tf.Tensor => {
    if (disposed) throw new DisposedError(loss, 'tfjs-ops');
    const { plan: given, tensors } = planTensorCall(loss, parsed, args);
    // tfjs's wasm kernels stop at 6 axes (XNNPACK returns garbage past them), webgl's and
    // webgpu's Where and Cumsum at 4: the call runs on as few axes as its broadcasts allow
    // (backend-tfjs's rule), and one that still needs more is refused, never computed wrong.
    const maxRank = kernelRank(tf.getBackend());
    const plan = flattenPlan(given, maxRank);
    if (planRank(plan) > maxRank) {
      throw new UnsupportedError(
        backendName(),
        loss,
        `rank ${planRank(plan)} after flattening: tfjs's ${tf.getBackend()} kernels take at most ${maxRank} axes`,
      );
    }
    try {
      // Constants from earlier calls may still be on a pending tape only if more than
      // the cache's limit of shapes were used since; the cache drops them all then.
      constants.trim();
      return tf.tidy(() => {
        const view = new Map<string, tf.Tensor>();
        for (const [n, t] of tensors) view.set(n, t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
        return output(new TensorLossCall(plan, view, constants), plan, given.outputShape);
      });
    } catch (e) {
      if (isGluonLossError(e)) throw e;
      throw new BackendFailureError(backendName(), loss, e instanceof Error ? e.message : String(e), e);
    }
  };

  return Object.assign(fn, {
    loss,
    config: parsed,
    reduction,
    inputNames: Object.freeze(declaredInputs(loss, parsed).map((d) => d.name)),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      constants.clear();
    },
  });
}
