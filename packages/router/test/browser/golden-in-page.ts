/**
 * The page side of the router's Chromium test, bundled into the router's test page
 * (page/main.ts exposes it as `gluonRouterPage.run`). It runs golden cases
 * through `createLoss` on one router that lives as long as the page, as an application's
 * would: built-in backends load lazily with the page's wasm paths, each wrapped to record
 * the result objects it returns. For every case it reports whether the values match MXNet
 * (the runner's comparison and tolerances), which backend produced each result, and what
 * explain() said ran. The Node side judges; this file only observes.
 */
import { loadBuiltinBackend, type BackendOptions } from '@gluon-loss/backends';
import { compareTensor, selectCases, toleranceFor } from '@gluon-loss/conformance';
import type { GoldenCall, GoldenError, GoldenSuite } from '@gluon-loss/golden';
import type { ForwardBackwardResult } from '@gluon-loss/spec';
import { SHIPPED_ELIGIBILITY, createRouter, type RoutedLoss, type Router } from '../../src/index.js';
import { Recorder, recordingBackend } from '../fixtures/recording-backend.js';

/** What the test asks the page for, and what the page reports back. */
export interface RouterGoldenRequest {
  readonly backends?: readonly string[];
  readonly filter?: readonly string[];
  readonly runs?: number;
}

export interface RouterGoldenCase {
  readonly case: string;
  readonly loss: string;
  readonly kind: 'call' | 'rejection';
  readonly ok: boolean;
  readonly message?: string;
  readonly ranForward?: string;
  readonly ranForwardBackward?: string;
  readonly explainedForward?: string | null;
  readonly explainedForwardBackward?: string | null;
}

export interface RouterGoldenReport {
  readonly userAgent: string;
  readonly eligibility: Readonly<Record<string, readonly string[]>>;
  readonly availability: readonly { readonly backend: string; readonly state: string; readonly reason?: string }[];
  readonly results: readonly RouterGoldenCase[];
}

interface PageState {
  readonly router: Router;
  readonly recorder: Recorder;
  readonly losses: Map<string, Promise<RoutedLoss>>;
}

let state: PageState | undefined;

/** The page's router, made by the first request (its backends and runs hold for the page's life). */
function pageState(request: RouterGoldenRequest, backendOptions: (name: string) => BackendOptions): PageState {
  if (state === undefined) {
    const recorder = new Recorder();
    const router = createRouter({
      ...(request.backends !== undefined ? { builtins: request.backends } : {}),
      loadBackend: async (name) => recordingBackend(await loadBuiltinBackend(name, backendOptions(name)), recorder),
      calibration: { runs: request.runs ?? 0, minTimedMs: 0, maxRuns: request.runs ?? 0 },
    });
    state = { router, recorder, losses: new Map() };
  }
  return state;
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function runCall(s: PageState, c: GoldenCall): Promise<RouterGoldenCase> {
  const base = { case: c.name, loss: c.loss, kind: 'call' as const };
  const key = `${c.loss}\u0000${JSON.stringify(c.config)}`;
  let routed = s.losses.get(key);
  if (routed === undefined) {
    routed = s.router.createLoss(c.loss, c.config);
    s.losses.set(key, routed);
  }
  const seen: {
    ranForward?: string;
    ranForwardBackward?: string;
    explainedForward?: string | null;
    explainedForwardBackward?: string | null;
  } = {};
  try {
    const loss = await routed;
    const problems: string[] = [];
    const fwd = await loss.forward(c.inputs);
    seen.ranForward = s.recorder.producerOf(fwd);
    seen.explainedForward = loss.explain().backend;
    const fwdCmp = compareTensor(fwd.loss, c.expectedLoss, toleranceFor(c.name, seen.ranForward ?? ''), c.ref64?.loss);
    if (!fwdCmp.ok) problems.push(`forward: ${fwdCmp.mismatch}`);
    const fb: ForwardBackwardResult = await loss.forwardBackward(c.inputs, c.headGrad);
    seen.ranForwardBackward = s.recorder.producerOf(fb);
    seen.explainedForwardBackward = loss.explain().backend;
    const tol = toleranceFor(c.name, seen.ranForwardBackward ?? '');
    const lossCmp = compareTensor(fb.loss, c.expectedLoss, tol, c.ref64?.loss);
    if (!lossCmp.ok) problems.push(`forwardBackward loss: ${lossCmp.mismatch}`);
    for (const [name, want] of Object.entries(c.expectedGrads)) {
      const cmp = compareTensor(fb.grads[name], want, tol, c.ref64?.grads[name]);
      if (!cmp.ok) problems.push(`grad ${name}: ${cmp.mismatch}`);
    }
    for (const name of Object.keys(fb.grads))
      if (!(name in c.expectedGrads)) problems.push(`grad ${name}: MXNet gives none`);
    return {
      ...base,
      ...seen,
      ok: problems.length === 0,
      ...(problems.length > 0 ? { message: problems.join('; ') } : {}),
    };
  } catch (e) {
    return { ...base, ...seen, ok: false, message: describeError(e) };
  }
}

async function runRejection(s: PageState, c: GoldenError): Promise<RouterGoldenCase> {
  const base = { case: c.name, loss: c.loss, kind: 'rejection' as const };
  const kindOf = (e: unknown) => (e as { kind?: string } | null)?.kind;
  let routed: RoutedLoss;
  try {
    routed = await s.router.createLoss(c.loss, c.config);
  } catch (e) {
    const ok = c.errorKind === 'config' && kindOf(e) === 'config';
    return { ...base, ok, ...(ok ? {} : { message: `createLoss: ${describeError(e)}` }) };
  }
  try {
    if (c.errorKind === 'config') return { ...base, ok: false, message: 'createLoss accepted a config MXNet rejects' };
    await routed.forward(c.inputs);
    return { ...base, ok: false, message: 'forward accepted an input MXNet rejects' };
  } catch (e) {
    const ok = ['input', 'shape', 'dtype'].includes(kindOf(e) ?? '');
    return { ...base, ok, ...(ok ? {} : { message: `forward: ${describeError(e)}` }) };
  } finally {
    routed.dispose();
  }
}

/** Runs the selected golden cases through the page's router. */
export async function runGoldenThroughRouter(
  request: RouterGoldenRequest,
  suite: GoldenSuite,
  backendOptions: (name: string) => BackendOptions,
): Promise<RouterGoldenReport> {
  const s = pageState(request, backendOptions);
  const results: RouterGoldenCase[] = [];
  for (const c of selectCases(suite, request.filter))
    results.push(c.kind === 'call' ? await runCall(s, c) : await runRejection(s, c));
  return {
    userAgent: navigator.userAgent,
    eligibility: SHIPPED_ELIGIBILITY.environments.browser ?? {},
    availability: s.router
      .availability()
      .map((a) => ({ backend: a.backend, state: a.state, ...(a.reason !== undefined ? { reason: a.reason } : {}) })),
    results,
  };
}
