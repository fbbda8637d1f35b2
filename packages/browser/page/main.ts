/**
 * The harness page: the same runner code as in Node, bundled from the real packages. The
 * test drives it through `window.gluonHarness`; golden files and wasm binaries are served
 * by the harness server from the installed packages.
 */
import { runConformance, unavailableBackend, type ConformanceReport } from '@gluon-loss/conformance';
import { loadBuiltinBackend, type BackendOptions } from '@gluon-loss/backends';
import { draw, seededRng, type Backend, type FloatTensor, type ForwardBackwardResult } from '@gluon-loss/spec';
import { backendOptions, loadGoldenSuite as loadSuite } from '../src/page-kit.js';
import type {
  HarnessApi,
  ConformanceRequest,
  PlacementRequest,
  WasmThreadsCase,
  WasmThreadsReport,
  WasmThreadsRequest,
} from '../src/protocol.js';

async function loadBackends(names: readonly string[], extra: BackendOptions = {}): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of names) {
    try {
      out.push(await loadBuiltinBackend(name, { ...backendOptions(name), ...extra }));
    } catch (e) {
      out.push(unavailableBackend(name, (e as Error).message));
    }
  }
  return out;
}

/** Uniform values in [-4, 4) from a linear congruential sequence (the Node threads test's). */
/** Values in [-4, 4) from the spec's seeded generator. */
function seeded(seed: number, length: number): Float32Array {
  return draw.uniform([length], seededRng(seed), -4, 4).data;
}

/** Large enough to be spread over the pool (backend-wasm's THREAD_THRESHOLD is 128K elements). */
const THREAD_CASES: readonly (readonly [loss: string, config: object, shape: readonly number[]])[] = [
  ['L2Loss', {}, [512, 1024]],
  ['LogisticLoss', { label_format: 'binary' }, [512, 1024]],
  ['SoftmaxCrossEntropyLoss', { sparse_label: false }, [512, 1000]],
];

async function forwardBackwardBits(backend: Backend, loss: string, config: object, shape: readonly number[]) {
  const size = shape.reduce((a, b) => a * b, 1);
  const compiled = await backend.compile(loss, config);
  const result: ForwardBackwardResult = await compiled.forwardBackward(
    { pred: { data: seeded(1, size), shape }, label: { data: seeded(2, size), shape } },
    { data: seeded(3, shape[0]!), shape: [shape[0]!] },
  );
  compiled.dispose();
  const tensors: FloatTensor[] = [result.loss, ...Object.values(result.grads)];
  return tensors.map((t) => new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

function differingBits(
  a: readonly Uint32Array[],
  b: readonly Uint32Array[],
): { differences: number; elements: number } {
  let differences = 0;
  let elements = 0;
  a.forEach((t, i) => {
    const u = b[i];
    elements += t.length;
    if (u === undefined || u.length !== t.length) differences += t.length;
    else for (let k = 0; k < t.length; k++) if (t[k] !== u[k]) differences++;
  });
  return { differences, elements };
}

const harness: HarnessApi = {
  async conformance(request: ConformanceRequest): Promise<ConformanceReport> {
    const [suite, backends] = await Promise.all([loadSuite(), loadBackends(request.backends)]);
    const report = await runConformance({ backends, suite, ...(request.filter ? { filter: request.filter } : {}) });
    for (const b of backends) await b.dispose?.();
    return report;
  },
  async onnxWebGpuPlacement(request: PlacementRequest): Promise<ConformanceReport> {
    const [suite, backends] = await Promise.all([loadSuite(), loadBackends(['onnx-webgpu'], { logSeverityLevel: 0 })]);
    const report = await runConformance({ backends, suite, filter: request.filter });
    for (const b of backends) await b.dispose?.();
    return report;
  },
  async wasmThreads(request: WasmThreadsRequest): Promise<WasmThreadsReport> {
    const threaded = await loadBuiltinBackend('wasm-simd-mt', { threads: request.threads });
    const single = await loadBuiltinBackend('wasm-simd');
    const crossOriginIsolated = globalThis.crossOriginIsolated === true;
    try {
      const availability = await threaded.probe();
      if (!availability.available) return { crossOriginIsolated, availability, workerTasks: [], cases: [] };
      const cases: WasmThreadsCase[] = [];
      for (const [loss, config, shape] of THREAD_CASES) {
        const mine = await forwardBackwardBits(threaded, loss, config, shape);
        const theirs = await forwardBackwardBits(single, loss, config, shape);
        cases.push({ loss, shape, ...differingBits(mine, theirs) });
      }
      const tasks = (threaded as Partial<{ workerTasks(): readonly number[] }>).workerTasks?.() ?? [];
      return { crossOriginIsolated, availability, workerTasks: [...tasks], cases };
    } finally {
      await threaded.dispose?.();
      await single.dispose?.();
    }
  },
};

(globalThis as { gluonHarness?: HarnessApi }).gluonHarness = harness;
document.getElementById('status')!.textContent = 'ready';
