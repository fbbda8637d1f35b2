/**
 * The page of `gluon-conformance --browser`: the runner (the same code as in Node) and
 * the spec, bundled; the authors' backend modules are imported as they are, their
 * `@gluon-loss/spec` resolving to this page's copy through the import map and the spec
 * shim. The CLI drives it through `window.gluonConformance`.
 */
import * as spec from '@gluon-loss/spec';
import { decodeGoldenFile, mergeSuites, type GoldenSuite } from '@gluon-loss/golden';
import { backendFromModule } from '../src/backend-module.js';
import { CHROMIUM_PAGE_PATHS, PAGE_SPEC_GLOBAL, type ChromiumPageApi } from '../src/chromium-protocol.js';
import { runConformance } from '../src/run.js';
import { unavailableBackend } from '../src/unavailable.js';

(globalThis as Record<string, unknown>)[PAGE_SPEC_GLOBAL] = spec;

async function loadGoldenSuite(): Promise<GoldenSuite> {
  const index = `${CHROMIUM_PAGE_PATHS.golden}index.json`;
  const files = (await (await fetch(index)).json()) as string[];
  const suites = await Promise.all(
    files.map(async (f) => decodeGoldenFile(await (await fetch(`${CHROMIUM_PAGE_PATHS.golden}${f}`)).json(), f)),
  );
  return mergeSuites(suites);
}

const api: ChromiumPageApi = {
  specExports: () => Object.keys(spec),
  async run(request) {
    const suite = await loadGoldenSuite();
    const backends: spec.Backend[] = [];
    for (const m of request.modules) {
      try {
        const mod = (await import(/* @vite-ignore */ m.url)) as Record<string, unknown>;
        backends.push(await backendFromModule(mod, m.specifier));
      } catch (e) {
        const reason =
          e instanceof spec.GluonLossError
            ? e.message
            : `cannot import ${m.specifier}: ${String(e)}` +
              (/resolve module specifier/.test(String(e))
                ? ' (in Chromium a backend module may import @gluon-loss/spec and relative paths; bundle any other package into it)'
                : '');
        backends.push(unavailableBackend(m.specifier, reason));
      }
    }
    const report = await runConformance({ backends, suite, ...(request.filter ? { filter: request.filter } : {}) });
    for (const b of backends) await b.dispose?.();
    return report;
  },
};

(globalThis as { gluonConformance?: ChromiumPageApi }).gluonConformance = api;
document.getElementById('status')!.textContent = 'ready';
