/** What the bench's page (page/main.ts) exposes to the Node side driving it in Chromium. */
import type { BackendStatus, Cell, Mode } from './format.js';
import type { BenchCase } from './grid.js';
import type { TimingSettings } from './measure.js';

export interface BrowserInitRequest {
  /** Registry names of the backends to load and probe in the page. */
  readonly backends: readonly string[];
  /** Where the harness server serves the wasm binaries (its HARNESS_PATHS). */
  readonly wasmPaths: { readonly tfjs: string; readonly ort: string };
}

export interface BrowserCaseRequest {
  readonly benchCase: BenchCase;
  readonly backends: readonly { readonly name: string; readonly modes: readonly Mode[] }[];
  /** tfjs variants (`webgl`, `webgpu`) to time the tfjs built-in equivalent on. */
  readonly builtins: readonly { readonly variant: string; readonly modes: readonly Mode[] }[];
  readonly timing: TimingSettings;
}

export interface BrowserBenchApi {
  init(request: BrowserInitRequest): Promise<BackendStatus[]>;
  /** Backend cells first, then tfjs built-in cells (`builtin` set). */
  runCase(request: BrowserCaseRequest): Promise<Cell[]>;
  dispose(): Promise<void>;
}
