/** What the harness page exposes to the test driving it, and where the server puts things. */
import type { ConformanceReport } from '@gluon-loss/conformance';
import type { Availability } from '@gluon-loss/spec';

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

export interface WasmThreadsRequest {
  /** Threads of the wasm-simd-mt backend, the page's own included. */
  readonly threads: number;
}

/** One large forwardBackward run on wasm-simd-mt and on wasm-simd in the page. */
export interface WasmThreadsCase {
  readonly loss: string;
  readonly shape: readonly number[];
  /** Result elements (loss and gradients) whose bits differ between the two variants. */
  readonly differences: number;
  /** Result elements compared. */
  readonly elements: number;
}

export interface WasmThreadsReport {
  readonly crossOriginIsolated: boolean;
  /** wasm-simd-mt's probe in the page. */
  readonly availability: Availability;
  /** Tasks each worker of wasm-simd-mt's pool ran over the cases (empty when unavailable). */
  readonly workerTasks: readonly number[];
  readonly cases: readonly WasmThreadsCase[];
}

export interface HarnessApi {
  conformance(request: ConformanceRequest): Promise<ConformanceReport>;
  /**
   * Runs golden cases on onnx-webgpu with ORT's verbose log (severity 0), whose "Node
   * placements" lines the driver reads from the console; returns the report of that run.
   */
  onnxWebGpuPlacement(request: PlacementRequest): Promise<ConformanceReport>;
  /** Runs large calls on wasm-simd-mt (threaded, when the page is isolated) and on wasm-simd, and compares their bits. */
  wasmThreads(request: WasmThreadsRequest): Promise<WasmThreadsReport>;
}
