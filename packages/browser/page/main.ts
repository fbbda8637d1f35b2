/**
 * The harness page: the same runner code as in Node, bundled from the real packages. The
 * test drives it through `window.gluonHarness`; golden files and wasm binaries are served
 * by the harness server from the installed packages.
 */
import { runConformance, unavailableBackend, type ConformanceReport } from '@gluon-loss/conformance';
import { loadBuiltinBackend, type BackendOptions } from '@gluon-loss/backends';
import type { Backend } from '@gluon-loss/spec';
import { backendOptions, loadGoldenSuite as loadSuite } from '../src/page-kit.js';
import type { HarnessApi, ConformanceRequest, PlacementRequest } from '../src/protocol.js';

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
};

(globalThis as { gluonHarness?: HarnessApi }).gluonHarness = harness;
document.getElementById('status')!.textContent = 'ready';
