/**
 * tfjs-wasm without its .wasm files (a page that serves them elsewhere, a broken
 * install) is unavailable with tfjs's reason, and the rest of tfjs keeps working.
 * Its own file: tfjs initialises the wasm backend once per process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '@gluon-loss/spec';
import { createTfjsBackend } from '../src/index.js';

describe('tfjs-wasm whose wasmPaths hold no .wasm files', () => {
  const emptyFolder = join(mkdtempSync(join(tmpdir(), 'no-wasm-')), '/');
  const wasm = createTfjsBackend('wasm', { wasmPaths: emptyFolder });

  it('probes as unavailable, with the reason', async () => {
    const availability = await wasm.probe();
    expect(availability.available).toBe(false);
    expect(availability.available === false && availability.reason).toMatch(/setBackend\('wasm'\) failed/);
  });

  it('rejects compile with BackendUnavailableError', async () => {
    await expect(wasm.compile('SoftmaxCELoss')).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('leaves tfjs-cpu working in the same process', async () => {
    const compiled = await createTfjsBackend('cpu').compile('L2Loss');
    const { loss } = await compiled.forward({
      pred: { data: Float32Array.from([1, 3]), shape: [1, 2] },
      label: { data: Float32Array.from([0, 0]), shape: [1, 2] },
    });
    // mean((0-1)^2, (0-3)^2) * weight/2 = 5 * 0.5
    expect(Array.from(loss.data)).toEqual([2.5]);
    compiled.dispose();
  });
});
