/** What the Chromium page of gluon-conformance exposes, and where its server puts things. */
import type { ConformanceReport } from './report.js';

export const CHROMIUM_PAGE_PATHS = {
  /** The golden files, and `index.json` listing them. */
  golden: '/golden/',
  /**
   * The module an author's `import ... from '@gluon-loss/spec'` resolves to (the page's
   * import map says so): it re-exports the page's own copy of the spec, so there is one.
   */
  specShim: '/spec-shim.js',
  /** Backend module i's folder is served under `/backend/i/`, so its relative imports load. */
  backend: '/backend/',
} as const;

/** The global through which the page hands over its copy of `@gluon-loss/spec`. */
export const PAGE_SPEC_GLOBAL = '__gluonLossSpec';

export interface ChromiumModule {
  /** As given on the command line: the backend's name in errors. */
  readonly specifier: string;
  /** Where the page imports it from. */
  readonly url: string;
}

export interface ChromiumRunRequest {
  readonly modules: readonly ChromiumModule[];
  readonly filter?: readonly string[];
}

export interface ChromiumPageApi {
  /** The names `@gluon-loss/spec` exports in this page (what the spec shim re-exports). */
  specExports(): string[];
  run(request: ChromiumRunRequest): Promise<ConformanceReport>;
}
