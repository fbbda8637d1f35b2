/**
 * A loss compiled for one config (MXNet's hybridized block) on one ORT runtime. It owns
 * its sessions: one per (mode, input dtypes and shapes), built on first use and reused,
 * since a graph is specialised to its input shapes. `dispose()` releases them.
 */
import type * as ort from 'onnxruntime-web';
import {
  BackendFailureError,
  CompiledLossBase,
  tensor,
  type CallPlan,
  type CanonicalLossName,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
} from '@gluon-loss/spec';
import { buildLossGraph, type GraphMode, type LossGraph, type LossGraphOptions } from './loss-graph.js';
import { lossGraphBuilder } from './loss-table.js';
import type { OnnxBackendOptions, OnnxRuntime } from './runtime.js';

interface LossSession {
  readonly key: string;
  readonly mode: GraphMode;
  readonly graph: LossGraph;
  readonly session: ort.InferenceSession;
}

/** The cache key of a call: the mode and each input's name, dtype and shape. */
function sessionKey(plan: CallPlan, mode: GraphMode): string {
  const parts = Object.entries(plan.tensors).map(
    ([name, t]) => `${name}:${t.data instanceof Int32Array ? 'i32' : 'f32'}[${t.shape.join(',')}]`,
  );
  return `${mode}|${parts.join('|')}`;
}

export class OnnxCompiledLoss extends CompiledLossBase {
  readonly #runtime: OnnxRuntime;
  readonly #options: OnnxBackendOptions;
  readonly #graphOptions: LossGraphOptions;
  readonly #sessions = new Map<string, Promise<LossSession>>();
  #live = 0;
  #releasing: Promise<unknown> = Promise.resolve();

  constructor(
    backend: string,
    loss: CanonicalLossName,
    config: unknown,
    runtime: OnnxRuntime,
    graphOptions: LossGraphOptions,
    options: OnnxBackendOptions,
  ) {
    super(backend, loss, config);
    this.#runtime = runtime;
    this.#graphOptions = graphOptions;
    this.#options = options;
  }

  /** Sessions this compiled loss holds now (one per mode and input signature). */
  get sessionCount(): number {
    return this.#live;
  }

  protected async runForward(plan: CallPlan): Promise<ForwardResult> {
    const { session, graph } = await this.#session(plan, 'forward');
    const out = await this.#run(session, this.#feeds(plan, graph), plan);
    return { loss: this.#output(out, graph.lossOutput, plan.outputShape, plan) };
  }

  protected async runForwardBackward(plan: CallPlan, headGrad: FloatTensor): Promise<ForwardBackwardResult> {
    const { session, graph } = await this.#session(plan, 'backward');
    const out = await this.#run(session, this.#feeds(plan, graph, headGrad), plan);
    const grads: Record<string, FloatTensor> = {};
    for (const name of plan.gradInputs) {
      // The graph computes on the view shape; the gradient is returned with the input's own.
      grads[name] = this.#output(out, graph.gradOutputs[name]!, plan.tensors[name]!.shape, plan);
    }
    return { loss: this.#output(out, graph.lossOutput, plan.outputShape, plan), grads };
  }

  /** Resolves once the sessions that `dispose()` let go of are released by ORT. */
  whenReleased(): Promise<void> {
    return this.#releasing.then(() => undefined);
  }

  protected override release(): void {
    const pending = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#releasing = Promise.all(
      pending.map((p) =>
        p
          // Queued behind any run already on the runtime, so a call in flight can finish.
          .then((s) => this.#runtime.exclusive(() => s.session.release()).then(() => s))
          .then((s) => {
            this.#live--;
            this.#emit('released', s);
          })
          .catch(() => undefined),
      ),
    );
  }

  #session(plan: CallPlan, mode: GraphMode): Promise<LossSession> {
    const key = sessionKey(plan, mode);
    let entry = this.#sessions.get(key);
    if (entry === undefined) {
      entry = this.#createSession(plan, mode, key);
      this.#sessions.set(key, entry);
      // A failed creation is not cached: the next call tries again.
      entry.catch(() => this.#sessions.get(key) === entry && this.#sessions.delete(key));
    }
    return entry;
  }

  async #createSession(plan: CallPlan, mode: GraphMode, key: string): Promise<LossSession> {
    const started = performance.now();
    let graph: LossGraph;
    let session: ort.InferenceSession;
    try {
      graph = buildLossGraph(plan, mode, lossGraphBuilder(plan.loss), this.#graphOptions);
      session = await this.#runtime.createSession(graph.model);
    } catch (cause) {
      throw new BackendFailureError(
        this.backend,
        this.loss,
        `could not create the ${mode} session: ${messageOf(cause)}`,
        cause,
      );
    }
    this.#live++;
    const created: LossSession = { key, mode, graph, session };
    this.#emit('created', created, performance.now() - started);
    return created;
  }

  #feeds(plan: CallPlan, graph: LossGraph, headGrad?: FloatTensor): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of graph.feeds) {
      const data =
        f.source === 'tensor'
          ? plan.tensors[f.name]!.data
          : f.source === 'scalar'
            ? Float32Array.of(plan.scalars[f.name]!)
            : headGrad!.data;
      feeds[f.name] = this.#runtime.tensor(data, f.shape);
    }
    return feeds;
  }

  async #run(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    plan: CallPlan,
  ): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await this.#runtime.exclusive(() => session.run(feeds));
    } catch (cause) {
      throw new BackendFailureError(this.backend, plan.loss, `session run failed: ${messageOf(cause)}`, cause);
    }
  }

  #output(out: ort.InferenceSession.ReturnType, name: string, shape: readonly number[], plan: CallPlan): FloatTensor {
    const value = out[name];
    if (value === undefined || !(value.data instanceof Float32Array)) {
      throw new BackendFailureError(this.backend, plan.loss, `session returned no float32 output ${name}`);
    }
    // ORT hands back a fresh array per run (copied out of the wasm heap or native memory).
    return tensor(value.data, shape);
  }

  #emit(type: 'created' | 'released', s: LossSession, createMs?: number): void {
    this.#options.onSession?.({
      type,
      backend: this.backend,
      loss: this.loss,
      mode: s.mode,
      key: s.key,
      nodeCount: s.graph.nodeCount,
      opTypes: s.graph.opTypes,
      ...(createMs === undefined ? {} : { createMs }),
    });
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
