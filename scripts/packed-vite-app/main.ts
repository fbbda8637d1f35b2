/**
 * The app of scripts/test-packed.mjs's Vite project, built by `vite build` with no
 * configuration from the packed tarballs as npm installs them. It hands the router the two
 * heavy backend packages a bundled app may use (tfjs; onnxruntime-web's wasm build alone)
 * and exposes two runs to the test: `small()`, golden cases of MXNet 1.9.1 on the default
 * policy (all small: nothing heavy may be downloaded), and `heavy()`, one call big enough
 * to load the heavy runtimes, then the same golden cases on tfjs-wasm and onnx-wasm
 * (their wasm files found with no path given). `cases.json` is written by the test from
 * conformance/golden/*.json.
 */
import {
  createLoss,
  getDefaultRouter,
  provideBackendPackage,
  tensor,
  type BackendAvailability,
  type FloatTensor,
  type LossInputs,
  type LossName,
  type Tensor,
} from 'gluon-loss';
import goldenCases from './cases.json';

provideBackendPackage('@gluon-loss/backend-tfjs', () => import('@gluon-loss/backend-tfjs'));
provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx/wasm'));

interface GoldenTensor {
  readonly dtype: 'float32' | 'int32';
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

interface GoldenCase {
  readonly name: string;
  readonly loss: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, GoldenTensor | number>>;
  readonly headGrad: GoldenTensor;
  readonly expected: { readonly loss: GoldenTensor; readonly grads: Readonly<Record<string, GoldenTensor>> };
}

export interface CaseResult {
  readonly case: string;
  readonly backend: string | null;
  /** Elements off MXNet's value by more than the fixed rule (empty: the case passed). */
  readonly failures: readonly string[];
}

const CASES = goldenCases as unknown as readonly GoldenCase[];

function toTensor(t: GoldenTensor): Tensor {
  return t.dtype === 'int32' ? tensor(Int32Array.from(t.data), t.shape) : toFloat(t);
}

function toFloat(t: GoldenTensor): FloatTensor {
  return tensor(Float32Array.from(t.data), t.shape);
}

/** The conformance suite's fixed rule: |got - want| <= 1e-5 + 1e-4 |want|, element by element. */
function compare(what: string, got: ArrayLike<number> | undefined, want: GoldenTensor): string[] {
  if (got === undefined) return [`${what}: missing`];
  if (got.length !== want.data.length) return [`${what}: ${got.length} elements, MXNet's ${want.data.length}`];
  const off: string[] = [];
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i]!;
    if (!(Math.abs(got[i]! - w) <= 1e-5 + 1e-4 * Math.abs(w))) off.push(`${what}[${i}] = ${got[i]}, MXNet ${w}`);
  }
  return off;
}

async function runCases(policy?: `only:${string}`): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of CASES) {
    const loss = await createLoss(c.loss, c.config, policy === undefined ? {} : { policy });
    const inputs: Record<string, Tensor | number> = {};
    for (const [name, value] of Object.entries(c.inputs))
      inputs[name] = typeof value === 'number' ? value : toTensor(value);
    const { loss: out, grads } = await loss.forwardBackward(inputs as LossInputs, toFloat(c.headGrad));
    const failures = [
      ...compare('loss', out.data, c.expected.loss),
      ...Object.entries(c.expected.grads).flatMap(([name, g]) => compare(`grad ${name}`, grads[name]?.data, g)),
    ];
    results.push({ case: c.name, backend: loss.explain().backend, failures });
    loss.dispose();
  }
  return results;
}

/** One SoftmaxCELoss call on `rows` x `classes`; the backend that ran it and the candidates it timed. */
async function softmaxCall(rows: number, classes: number): Promise<{ backend: string | null; timed: string[] }> {
  const pred = tensor(
    Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i)),
    [rows, classes],
  );
  const label = tensor(
    Float32Array.from({ length: rows }, (_, i) => i % classes),
    [rows],
  );
  const ce = await createLoss('SoftmaxCELoss');
  const { loss } = await ce.forward({ pred, label });
  if (loss.data.length !== rows) throw new Error(`the ${rows} x ${classes} call returned ${loss.data.length} losses`);
  const timed = (ce.explain().routes[0]?.timings ?? []).map((t) => `${t.backend}:${t.status}`);
  const backend = ce.explain().backend;
  ce.dispose();
  return { backend, timed };
}

export interface SmallRun {
  readonly results: CaseResult[];
  /** 512 x 1000 SoftmaxCE (the issue's page): still small (below 2^21 elements). */
  readonly medium: { backend: string | null; timed: string[] };
  readonly availability: BackendAvailability[];
}

export interface HeavyRun {
  readonly big: { backend: string | null; timed: string[] };
  readonly byBackend: Readonly<Record<'tfjs-wasm' | 'onnx-wasm', CaseResult[]>>;
  readonly availability: BackendAvailability[];
}

declare global {
  interface Window {
    gluonTest: { small(): Promise<SmallRun>; heavy(): Promise<HeavyRun> };
  }
}

window.gluonTest = {
  small: async () => ({
    results: await runCases(),
    medium: await softmaxCall(512, 1000),
    availability: getDefaultRouter().availability(),
  }),
  heavy: async () => {
    // Main input above 2^21 elements: the router may load heavy runtimes for it.
    const big = await softmaxCall(2049, 1024);
    const byBackend = { 'tfjs-wasm': await runCases('only:tfjs-wasm'), 'onnx-wasm': await runCases('only:onnx-wasm') };
    return { big, byBackend, availability: getDefaultRouter().availability() };
  },
};
document.getElementById('out')!.textContent = 'ready';

// Compile-time checks, never run: each marked line must fail to type-check (tsc fails on
// a marker with no error under it).
export async function compileTimeChecks(pred: Tensor, label: Tensor): Promise<void> {
  // @ts-expect-error: not a loss of mxnet.gluon.loss
  await createLoss('SoftmaxCELos');
  // @ts-expect-error: not a key of SoftmaxCELoss's config
  await createLoss('SoftmaxCELoss', { sparse_labels: true });
  const l2 = await createLoss('L2Loss');
  // @ts-expect-error: 'lable' is no input of L2Loss
  await l2.forward({ pred, lable: label });
  // @ts-expect-error: PoissonNLLLoss's label is called target
  await (await createLoss('PoissonNLLLoss')).forward({ pred, label });
  const known: LossName = 'HuberLoss';
  await createLoss(known, { rho: 2 });
}
