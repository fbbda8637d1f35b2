export { createTfjsBackend } from './backend.js';
export { variantLossGap } from './compiled-loss.js';
export {
  activate,
  exclusive,
  initialiseVariant,
  runOnEngine,
  TFJS_VARIANTS,
  VARIANT_ENVIRONMENTS,
  type TfjsBackendOptions,
  type TfjsVariant,
} from './runtime.js';
export { WASM_FILE_NAMES, type WasmPaths } from './wasm-files.js';
