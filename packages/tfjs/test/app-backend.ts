/**
 * What an application does before training: registers a tfjs backend and makes it the
 * active one. The tests then check that the losses leave that choice alone.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type AppBackend = 'cpu' | 'wasm';

export async function useBackend(name: AppBackend): Promise<void> {
  if (name === 'wasm') {
    // The threaded build cannot start its workers in Node (docs/notes.md).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const wasmFile = createRequire(import.meta.url).resolve(
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    );
    setWasmPaths(`${dirname(wasmFile)}/`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
}
