/** Every variant's runtime: what the package's main entry loads (a bundle of it holds both onnxruntime-web builds). */
import type { OrtImporter } from '../runtime.js';
import { importOrtNode } from './node.js';
import { importOrtWasm } from './wasm.js';
import { importOrtWebgpu } from './webgpu.js';

export const importAnyOrt: OrtImporter = (variant) =>
  ({ wasm: importOrtWasm, webgpu: importOrtWebgpu, node: importOrtNode })[variant]();
