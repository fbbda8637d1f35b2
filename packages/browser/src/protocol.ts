/** What the harness page exposes to the test driving it, and where the server puts things. */
import type { ConformanceReport } from '@gluon-loss/conformance';

export const HARNESS_PATHS = {
  /** The golden files, and `index.json` listing them. */
  golden: '/golden/',
  /** @tensorflow/tfjs-backend-wasm's dist/ (its .wasm binaries). */
  tfjsWasm: '/wasm/tfjs/',
  /** onnxruntime-web's dist/ (its .wasm binaries and their loaders). */
  ortWasm: '/wasm/ort/',
} as const;

export interface ConformanceRequest {
  readonly backends: readonly string[];
  readonly filter?: readonly string[];
}

export interface PlacementRequest {
  /** Which golden cases to run with ORT's verbose placement log on. */
  readonly filter: readonly string[];
}

export interface HarnessApi {
  conformance(request: ConformanceRequest): Promise<ConformanceReport>;
  /**
   * Runs golden cases on onnx-webgpu with ORT's verbose log (severity 0), whose "Node
   * placements" lines the driver reads from the console; returns the report of that run.
   */
  onnxWebGpuPlacement(request: PlacementRequest): Promise<ConformanceReport>;
}
