/**
 * What a harness page needs in the browser (no Node imports): the golden suite the
 * harness server serves, and the options that point each backend at the served wasm
 * binaries. The harness's own page uses it, and so can another package's test page
 * (the router's), served by the same server.
 */
import { decodeGoldenFile, mergeSuites, type GoldenSuite } from '@gluon-loss/golden';
import type { BackendOptions } from '@gluon-loss/backends';
import { provideConformanceAdapter } from '@gluon-loss/backends';
import { provideEveryBackendPackage } from '@gluon-loss/backends/all';
import { HARNESS_PATHS } from './protocol.js';

export { HARNESS_PATHS };

export async function loadGoldenSuite(): Promise<GoldenSuite> {
  const files = (await (await fetch(`${HARNESS_PATHS.golden}index.json`)).json()) as string[];
  const suites = await Promise.all(
    files.map(async (f) => decodeGoldenFile(await (await fetch(`${HARNESS_PATHS.golden}${f}`)).json(), f)),
  );
  return mergeSuites(suites);
}

/** A page bundles every built-in backend package (the registry imports none by itself in a browser). */
provideEveryBackendPackage();
// The conformance suite also runs @gluon-loss/tfjs's functions (the tfjs-ops-* adapters).
provideConformanceAdapter(() => import('@gluon-loss/tfjs/conformance-backend'));

export function backendOptions(name: string): BackendOptions {
  if (name.startsWith('tfjs-')) return { tfjs: { wasmPaths: HARNESS_PATHS.tfjsWasm } };
  if (name.startsWith('onnx-')) return { onnx: { wasmPaths: HARNESS_PATHS.ortWasm } };
  return {};
}
