/**
 * The interface every backend implements, and the base class of a compiled loss that
 * runs the spec's checks before a backend sees a call. A backend is a value: the
 * conformance runner, the router and the bench take it without knowing its package.
 */
import { DisposedError, UnsupportedError } from './errors.js';
import { checkResultBuffers, deliverInto, type CallOptions, type ResultBuffers } from './out.js';
import { checkHeadGrad, planCall, snapshotPlan, snapshotTensor, type CallPlan } from './plan.js';
import { canonicalLossName, parseConfig, type CanonicalLossName, type LossConfig } from './registry.js';
import type { FloatTensor, LossInputs } from './tensor.js';

export type Environment = 'node' | 'browser';

export type Availability = { readonly available: true } | { readonly available: false; readonly reason: string };

export type Support = { readonly supported: true } | { readonly supported: false; readonly reason: string };

export interface ForwardResult {
  /** The loss, shaped as MXNet returns it (`CallPlan.outputShape`). */
  readonly loss: FloatTensor;
}

export interface ForwardBackwardResult extends ForwardResult {
  /**
   * The vector-Jacobian product of the head gradient with the loss, for every
   * differentiable input given (`CallPlan.gradInputs`), each shaped like that input.
   */
  readonly grads: Readonly<Record<string, FloatTensor>>;
}

/** A loss compiled for one config (MXNet's hybridized block): reusable, then disposed. */
export interface CompiledLoss {
  readonly backend: string;
  readonly loss: CanonicalLossName;
  /** The parsed config, MXNet's defaults filled in. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Whether this compiled loss can compute a call of this plan (`planCall`): the
   * shape-aware half of `Backend.supports` (a rank, a size its runtime cannot take).
   * forward and forwardBackward reject an unsupported call with UnsupportedError before
   * computing, so a router can ask first and route the call elsewhere.
   */
  supportsCall?(plan: CallPlan): Support;
  /**
   * True when forward and forwardBackward have written every buffer of `options.out`
   * by the time they return their promise (they compute on the calling thread), so no
   * write can reach the caller's buffers later: a router may then hand them over even
   * to a call it could abandon. Otherwise a router keeps `out` and copies the result it
   * accepts.
   */
  readonly writesOutBeforeReturning?: boolean;
  /** The loss; `options.out` takes caller-owned result buffers (the aliasing rule in out.ts). */
  forward(inputs: LossInputs, options?: CallOptions): Promise<ForwardResult>;
  /**
   * The loss and the gradients for the head gradient `headGrad` (the output's shape);
   * without one, ones, as MXNet's `loss.backward()`.
   */
  forwardBackward(inputs: LossInputs, headGrad?: FloatTensor, options?: CallOptions): Promise<ForwardBackwardResult>;
  /** Frees buffers, tensors and sessions. Idempotent; later calls throw DisposedError. */
  dispose(): void;
}

export interface Backend {
  /** A stable name: `ts`, `tfjs-cpu`, `onnx-webgpu`, ... */
  readonly name: string;
  /** Where it can run at all. */
  readonly environments: readonly Environment[];
  /** Whether it can run here; resolves (never rejects) with the reason when not. Cached. */
  probe(): Promise<Availability>;
  /** Whether it implements this loss with this (parsed) config. */
  supports(loss: CanonicalLossName, config: Readonly<Record<string, unknown>>): Support;
  /**
   * Validates the config (ConfigError, UnknownLossError), then prepares the loss.
   * Rejects with UnsupportedError for a gap and BackendUnavailableError when it cannot run.
   */
  compile(loss: string, config?: unknown): Promise<CompiledLoss>;
  /** Releases what the backend holds process-wide (wasm instances, devices). */
  dispose?(): Promise<void>;
}

/**
 * What every compiled loss shares: config parsing at construction, the spec's checks on
 * each call (before any tensor is made), and use-after-dispose protection. `L` types the
 * plans a subclass receives: a loss's own class sees its own config and detail.
 */
export abstract class CompiledLossBase<L extends CanonicalLossName = CanonicalLossName> implements CompiledLoss {
  readonly loss: L;
  readonly config: Readonly<LossConfig<L>>;
  #disposed = false;

  /** Whether each call's tensors are copied after validation (see the constructor). */
  readonly #snapshot: boolean;

  /**
   * `readsAfterAwait`: the backend reads the inputs after an await (an engine lock, a
   * session), so each call copies the tensors it validated first; a later change to the
   * caller's arrays can then neither change the result nor slip past the checks. A
   * backend that reads everything synchronously needs no copy.
   */
  protected constructor(
    readonly backend: string,
    loss: L,
    config: unknown,
    options: { readonly readsAfterAwait?: boolean } = {},
  ) {
    // Checked at run time too, for callers in plain JavaScript; a canonical name maps to itself.
    this.loss = canonicalLossName(loss) as L;
    this.config = Object.freeze(parseConfig(this.loss, config));
    this.#snapshot = options.readsAfterAwait === true;
  }

  /** Every call by default; a backend with rank or size limits overrides it. */
  supportsCall(_plan: CallPlan<L>): Support {
    return { supported: true };
  }

  /**
   * Whether `runForward` / `runForwardBackward` check the call themselves, with
   * `supportsCall`'s answer reached faster, before computing anything (backend-wasm: from
   * a SIMD scan of the inputs' copies in its memory); the base then does not ask
   * `supportsCall` first. A refusal is the same UnsupportedError either way.
   */
  protected get checksCallInRun(): boolean {
    return false;
  }

  /**
   * A subclass whose `runForward` / `runForwardBackward` return synchronously (no
   * promise) sets it: the base then fills `out` before the call returns.
   */
  get writesOutBeforeReturning(): boolean {
    return false;
  }

  async forward(inputs: LossInputs, options?: CallOptions): Promise<ForwardResult> {
    this.#assertLive();
    const plan = planCall(this.loss, this.config, inputs);
    const out = checkResultBuffers(plan, 'forward', options);
    this.#assertCallSupported(plan);
    // Not awaited when synchronous: `out` is then filled before this returns its promise.
    const result = this.runForward(this.#snapshot ? snapshotPlan(plan) : plan, out);
    return result instanceof Promise ? result.then((r) => deliverInto(out, r)) : deliverInto(out, result);
  }

  async forwardBackward(
    inputs: LossInputs,
    headGrad?: FloatTensor,
    options?: CallOptions,
  ): Promise<ForwardBackwardResult> {
    this.#assertLive();
    const plan = planCall(this.loss, this.config, inputs);
    const grad = checkHeadGrad(plan, headGrad);
    const out = checkResultBuffers(plan, 'forwardBackward', options, grad);
    this.#assertCallSupported(plan);
    const result = this.#snapshot
      ? this.runForwardBackward(snapshotPlan(plan), snapshotTensor(grad), out)
      : this.runForwardBackward(plan, grad, out);
    return result instanceof Promise ? result.then((r) => deliverInto(out, r)) : deliverInto(out, result);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * `out` (checked) lets a backend write a result straight into the caller's buffer;
   * one that ignores it returns fresh arrays and the base copies them in.
   */
  protected abstract runForward(plan: CallPlan<L>, out?: ResultBuffers): Promise<ForwardResult> | ForwardResult;
  protected abstract runForwardBackward(
    plan: CallPlan<L>,
    headGrad: FloatTensor,
    out?: ResultBuffers,
  ): Promise<ForwardBackwardResult> | ForwardBackwardResult;
  /** Frees what this compiled loss owns. */
  protected release(): void {}

  #assertLive(): void {
    if (this.#disposed) throw new DisposedError(this.loss, this.backend);
  }

  #assertCallSupported(plan: CallPlan<L>): void {
    if (this.checksCallInRun) return;
    const support = this.supportsCall(plan);
    if (!support.supported) throw new UnsupportedError(this.backend, this.loss, support.reason);
  }
}

/** Throws the UnsupportedError a backend's `compile` gives for a gap. */
export function assertSupported(backend: Backend, loss: string, config: Readonly<Record<string, unknown>>): void {
  const canonical = canonicalLossName(loss);
  const support = backend.supports(canonical, config);
  if (!support.supported) throw new UnsupportedError(backend.name, canonical, support.reason);
}
