/**
 * The bench's page: the backends that run only in a browser (tfjs-webgl, tfjs-webgpu,
 * onnx-webgpu), timed in headless Chromium by the same code that times cells in Node
 * (time-cell.ts), on inputs drawn by the same seeded generator, so the figures sit beside
 * the Node ones and MXNet's. Served by the browser harness's server, which also serves
 * the wasm binaries.
 */
import { BUILTIN_BACKENDS } from '@gluon-loss/backends';
import { provideEveryBackendPackage } from '@gluon-loss/backends/all';
import type { Backend } from '@gluon-loss/spec';
import type { BrowserBenchApi, BrowserCaseRequest, BrowserInitRequest } from '../src/browser-protocol.js';
import type { BackendStatus, Cell } from '../src/format.js';
import { prepareCase } from '../src/inputs.js';
import { timeBackend, timeBuiltin, describeError } from '../src/time-cell.js';

provideEveryBackendPackage();
const loaded = new Map<string, Backend>();

const api: BrowserBenchApi = {
  async init(request: BrowserInitRequest): Promise<BackendStatus[]> {
    const statuses: BackendStatus[] = [];
    for (const name of request.backends) {
      const entry = BUILTIN_BACKENDS.find((b) => b.name === name);
      const base = { name, environments: entry?.environments ?? [] };
      if (entry === undefined) {
        statuses.push({ ...base, available: false, reason: 'not in the registry' });
        continue;
      }
      const t0 = performance.now();
      try {
        const backend = await entry.load({
          tfjs: { wasmPaths: request.wasmPaths.tfjs },
          onnx: { wasmPaths: request.wasmPaths.ort },
        });
        const availability = await backend.probe();
        const initMs = performance.now() - t0;
        if (availability.available) {
          loaded.set(name, backend);
          statuses.push({ ...base, available: true, initMs });
        } else {
          statuses.push({ ...base, available: false, reason: availability.reason, initMs });
        }
      } catch (e) {
        statuses.push({ ...base, available: false, reason: describeError(e) });
      }
    }
    return statuses;
  },

  async runCase(request: BrowserCaseRequest): Promise<Cell[]> {
    const prepared = prepareCase(request.benchCase);
    const cells: Cell[] = [];
    for (const { name, modes } of request.backends) {
      const backend = loaded.get(name);
      for (const mode of modes) {
        cells.push(
          backend === undefined
            ? {
                loss: request.benchCase.loss,
                size: request.benchCase.size,
                elements: request.benchCase.elements,
                backend: name,
                mode,
                status: 'unavailable',
                reason: 'not loaded in the page',
              }
            : await timeBackend(backend, prepared, mode, request.timing),
        );
      }
    }
    for (const { variant, modes } of request.builtins) {
      for (const mode of modes) cells.push(await timeBuiltin(variant, prepared, mode, request.timing));
    }
    return cells;
  },

  async dispose(): Promise<void> {
    for (const b of loaded.values()) await b.dispose?.();
    loaded.clear();
  },
};

(globalThis as { gluonBench?: BrowserBenchApi }).gluonBench = api;
document.getElementById('status')!.textContent = 'ready';
