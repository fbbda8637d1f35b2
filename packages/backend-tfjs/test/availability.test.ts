/**
 * Variants that cannot run here are reported, never crash: in Node, tfjs-webgl and
 * tfjs-webgpu (browser-only) probe as unavailable with the reason, and compile rejects
 * with BackendUnavailableError after the config has been checked as everywhere else.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, ConfigError, UnknownLossError } from '@gluon-loss/spec';
import { TFJS_VARIANTS, createTfjsBackend } from '../src/index.js';

describe('variants', () => {
  it('are named per tfjs backend, with where each can run', () => {
    expect(TFJS_VARIANTS.map((v) => createTfjsBackend(v).name)).toEqual([
      'tfjs-cpu',
      'tfjs-wasm',
      'tfjs-webgl',
      'tfjs-webgpu',
    ]);
    expect(createTfjsBackend('cpu').environments).toEqual(['node', 'browser']);
    expect(createTfjsBackend('wasm').environments).toEqual(['node', 'browser']);
    expect(createTfjsBackend('webgl').environments).toEqual(['browser']);
    expect(createTfjsBackend('webgpu').environments).toEqual(['browser']);
  });

  it('rejects an unknown variant by name', () => {
    expect(() => createTfjsBackend('metal' as never)).toThrow(/unknown tfjs variant "metal"/);
  });

  it('support every loss and option', () => {
    expect(createTfjsBackend('cpu').supports('CTCLoss', {})).toEqual({ supported: true });
  });
});

describe.each(['webgl', 'webgpu'] as const)('tfjs-%s in Node', (variant) => {
  const backend = createTfjsBackend(variant);

  it('probes as unavailable, saying why', async () => {
    const availability = await backend.probe();
    expect(availability.available).toBe(false);
    expect(availability.available === false && availability.reason).toMatch(/only in a browser.*node/);
    expect(await backend.probe()).toBe(availability);
  });

  it('rejects compile with BackendUnavailableError', async () => {
    const error = await backend.compile('L2Loss').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).backend).toBe(`tfjs-${variant}`);
  });

  it('still checks the loss name and config first', async () => {
    await expect(backend.compile('L3Loss')).rejects.toBeInstanceOf(UnknownLossError);
    await expect(backend.compile('HuberLoss', { rho: 'one' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('never made a tfjs backend of its kind', () => {
    expect(tf.findBackend(variant)).toBeNull();
  });
});

describe('tfjs-cpu in Node', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("does not print tfjs's banner recommending tfjs-node", async () => {
    const warn = vi.spyOn(console, 'warn');
    const backend = createTfjsBackend('cpu');
    const compiled = await backend.compile('L1Loss');
    await compiled.forward({
      pred: { data: Float32Array.from([1, 2]), shape: [2] },
      label: { data: Float32Array.from([0, 2]), shape: [2] },
    });
    compiled.dispose();
    expect(warn.mock.calls.flat().join(' ')).not.toMatch(/tfjs-node/);
  });
});
