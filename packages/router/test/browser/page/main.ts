/**
 * The router's test page: gluon-loss bundled by Vite as an application would bundle it,
 * served by the shared harness server (golden files, wasm binaries) and driven through
 * `window.gluonRouterPage` by golden-browser.test.ts.
 */
import { backendOptions, loadGoldenSuite } from '@gluon-loss/browser-harness/page-kit';
import { runGoldenThroughRouter, type RouterGoldenReport, type RouterGoldenRequest } from '../golden-in-page.js';

const suite = loadGoldenSuite();

export interface RouterPageApi {
  run(request: RouterGoldenRequest): Promise<RouterGoldenReport>;
}

const api: RouterPageApi = {
  run: async (request) => runGoldenThroughRouter(request, await suite, backendOptions),
};

(globalThis as { gluonRouterPage?: RouterPageApi }).gluonRouterPage = api;
