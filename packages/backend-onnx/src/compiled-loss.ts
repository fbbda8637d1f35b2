/**
 * A loss compiled for one config (MXNet's hybridized block) on one ORT runtime. It owns
 * its sessions: one per (mode, input dtypes and shapes), built on first use and reused,
 * since a graph is specialised to its input shapes. They are held in the backend's
 * session LRU (runtime.ts: bounded by count and model bytes over every compiled loss of
 * the backend), so a stream of new shapes cannot grow memory or threads without bound:
 * the least recently used session is released (after any run on it) and built again if
 * its shape comes back. `dispose()` releases them all.
 */
import type * as ort from 'onnxruntime-common';
import {
  BackendFailureError,
  CompiledLossBase,
  bitExactOnly,
  ordinaryValues,
  tensor,
  type CallPlan,
  type Support,
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
  /** Its intra-op threads (1: none of its own). */
  readonly threads: number;
}

/** Distinguishes compiled losses' keys in the backend-wide session LRU. */
let nextId = 0;

/** Elements a call moves: its inputs and its loss (what decides whether threads pay). */
function elementsOf(plan: CallPlan): number {
  let n = plan.outputShape.reduce((a, b) => a * b, 1);
  for (const name in plan.tensors) n += plan.tensors[name]!.data.length;
  return n;
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
  /** Session key → the session, built or being built; mirrored in the runtime's LRU. */
  readonly #sessions = new Map<string, Promise<LossSession>>();
  readonly #id = `${nextId++}|`;
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
    // It reads the inputs after awaiting its session: each call copies them first.
    super(backend, loss, config, { readsAfterAwait: true });
    this.#runtime = runtime;
    this.#graphOptions = graphOptions;
    this.#options = options;
  }

  /**
   * The WebGPU EP's shaders do not keep MXNet's special values (`where(x == x, ...)` loses
   * NaN, `Log` of 0 is -88): on onnx-webgpu a call with NaN, infinities, subnormals or huge
   * magnitudes is refused, by the spec's rule, and runs on another backend. On every EP, a
   * call whose result class hangs on MXNet's exact rounding (oneDNN's log_softmax on a NaN
   * or +Inf row, a cosine under an infinite weight) is refused by the spec's bitExactOnly.
   */
  override supportsCall(plan: CallPlan): Support {
    const bitExact = bitExactOnly(plan, this.backend);
    if (!bitExact.supported) return bitExact;
    return this.backend === 'onnx-webgpu' ? ordinaryValues(plan, this.backend) : { supported: true };
  }

  /** Sessions this compiled loss holds now (one per mode and input signature). */
  get sessionCount(): number {
    return this.#live;
  }

  /** The bytes of the models of the sessions it holds (what the router's cache counts). */
  get residentBytes(): number {
    let bytes = 0;
    for (const key of this.#sessions.keys()) bytes += this.#bytes.get(key) ?? 0;
    return bytes;
  }

  readonly #bytes = new Map<string, number>();

  protected async runForward(plan: CallPlan): Promise<ForwardResult> {
    return this.#withSession(plan, 'forward', async ({ session, graph }) => {
      const out = await this.#run(session, this.#feeds(plan, graph), plan);
      return { loss: this.#output(out, graph.lossOutput, plan.outputShape, plan) };
    });
  }

  protected async runForwardBackward(plan: CallPlan, headGrad: FloatTensor): Promise<ForwardBackwardResult> {
    return this.#withSession(plan, 'backward', async ({ session, graph }) => {
      const out = await this.#run(session, this.#feeds(plan, graph, headGrad), plan);
      const grads: Record<string, FloatTensor> = {};
      for (const name of plan.gradInputs) {
        // The graph computes on the view shape; the gradient is returned with the input's own.
        grads[name] = this.#output(out, graph.gradOutputs[name]!, plan.tensors[name]!.shape, plan);
      }
      return { loss: this.#output(out, graph.lossOutput, plan.outputShape, plan), grads };
    });
  }

  /** Runs `work` on the call's session, pinned in the LRU meanwhile (never evicted mid-run; `#session` pins). */
  async #withSession<T>(plan: CallPlan, mode: GraphMode, work: (s: LossSession) => Promise<T>): Promise<T> {
    const key = sessionKey(plan, mode);
    const lruKey = this.#id + key;
    const entry = this.#session(plan, mode, key); // pinned in the LRU
    try {
      return await work(await entry);
    } finally {
      this.#runtime.sessions.unpin(lruKey);
    }
  }

  /** The runtime's LRU let go of a session of this loss: release it once its runs are done. */
  evicted(lruKey: string): void {
    const key = lruKey.slice(this.#id.length);
    const entry = this.#sessions.get(key);
    if (entry === undefined) return;
    this.#sessions.delete(key);
    this.#bytes.delete(key);
    this.#releasing = Promise.all([this.#releasing, this.#releaseOne(entry)]);
  }

  /** Resolves once the sessions that `dispose()` let go of are released by ORT. */
  whenReleased(): Promise<void> {
    return this.#releasing.then(() => undefined);
  }

  protected override release(): void {
    const pending = [...this.#sessions.entries()];
    this.#sessions.clear();
    this.#bytes.clear();
    for (const [key] of pending) this.#runtime.sessions.delete(this.#id + key);
    this.#releasing = Promise.all([this.#releasing, ...pending.map(([, p]) => this.#releaseOne(p))]);
  }

  #releaseOne(pending: Promise<LossSession>): Promise<void> {
    return (
      pending
        // Queued behind any run already on the runtime, so a call in flight can finish.
        .then((s) => this.#runtime.exclusive(() => s.session.release()).then(() => s))
        .then((s) => {
          this.#live--;
          this.#runtime.sessionReleased(s.threads);
          this.#emit('released', s);
        })
        .catch(() => undefined)
    );
  }

  #session(plan: CallPlan, mode: GraphMode, key: string): Promise<LossSession> {
    const lruKey = this.#id + key;
    let entry = this.#sessions.get(key);
    if (entry === undefined) {
      entry = this.#createSession(plan, mode, key);
      this.#sessions.set(key, entry);
      this.#runtime.sessions.set(lruKey, { owner: this, key: lruKey }, 0, true);
      entry.then(
        (s) => {
          if (this.#sessions.get(key) !== entry) return;
          this.#bytes.set(key, s.graph.model.byteLength);
          this.#runtime.sessions.resize(lruKey, s.graph.model.byteLength);
        },
        () => {
          // A failed creation is not cached: the next call tries again.
          if (this.#sessions.get(key) !== entry) return;
          this.#sessions.delete(key);
          this.#runtime.sessions.delete(lruKey);
        },
      );
    } else {
      this.#runtime.sessions.get(lruKey); // most recently used
      this.#runtime.sessions.pin(lruKey);
    }
    return entry;
  }

  async #createSession(plan: CallPlan, mode: GraphMode, key: string): Promise<LossSession> {
    const started = performance.now();
    let graph: LossGraph;
    let created: { session: ort.InferenceSession; threads: number };
    try {
      graph = buildLossGraph(plan, mode, lossGraphBuilder(plan.loss), this.#graphOptions);
      created = await this.#runtime.createSession(graph.model, elementsOf(plan));
    } catch (cause) {
      throw new BackendFailureError(
        this.backend,
        this.loss,
        `could not create the ${mode} session: ${messageOf(cause)}`,
        cause,
      );
    }
    this.#live++;
    const made: LossSession = { key, mode, graph, session: created.session, threads: created.threads };
    this.#emit('created', made, performance.now() - started);
    return made;
  }

  #feeds(plan: CallPlan, graph: LossGraph, headGrad?: FloatTensor): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of graph.feeds) {
      const data =
        f.prepare !== undefined
          ? f.dtype === 'int32'
            ? Int32Array.from(f.prepare(plan))
            : Float32Array.from(f.prepare(plan))
          : f.source === 'tensor'
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
