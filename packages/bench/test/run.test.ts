/**
 * A run with backends that break: one that cannot load, one that fails mid-run, one that
 * supports nothing. The run goes on and every cell says what happened. Timings are
 * never checked, only that they exist.
 */
import { BackendUnavailableError, UnsupportedError, type Backend, type CompiledLoss } from '@gluon-loss/spec';
import { loadBuiltinBackend, type BackendEntry } from '@gluon-loss/backends';
import { describe, expect, it } from 'vitest';
import { runBench, validateResults, type TimingSettings } from '../src/index.js';

const TINY: TimingSettings = {
  timeMs: 1,
  minIterations: 2,
  warmupIterations: 0,
  slowCallMs: 10_000,
  slowIterations: 2,
};

/** The ts backend, except that forwardBackward throws from its 3rd call on (first, second, then tinybench's). */
async function failingMidRun(): Promise<Backend> {
  const ts = await loadBuiltinBackend('ts');
  return {
    ...ts,
    name: 'fails-mid-run',
    async compile(loss, config): Promise<CompiledLoss> {
      const inner = await ts.compile(loss, config);
      let calls = 0;
      return {
        backend: 'fails-mid-run',
        loss: inner.loss,
        config: inner.config,
        forward: (inputs) => inner.forward(inputs),
        forwardBackward: async (inputs, head) => {
          if (++calls >= 3) throw new BackendUnavailableError('fails-mid-run', 'device lost');
          return inner.forwardBackward(inputs, head);
        },
        dispose: () => inner.dispose(),
      };
    },
  };
}

const entries: BackendEntry[] = [
  {
    name: 'cannot-load',
    environments: ['node'],
    description: 'a package that fails to import',
    load: async () => {
      throw new Error('Cannot find package "@example/missing"');
    },
  },
  { name: 'fails-mid-run', environments: ['node'], description: 'throws mid-run', load: failingMidRun },
  {
    name: 'supports-nothing',
    environments: ['node'],
    description: 'supports no loss',
    load: async () => {
      const ts = await loadBuiltinBackend('ts');
      return {
        ...ts,
        name: 'supports-nothing',
        supports: () => ({ supported: false, reason: 'not written yet' }),
        compile: async (loss: string) => {
          throw new UnsupportedError('supports-nothing', loss as never, 'not written yet');
        },
      };
    },
  },
  {
    name: 'browser-only',
    environments: ['browser'],
    description: 'a browser backend',
    load: () => loadBuiltinBackend('ts'),
  },
];

describe('the JAX anchor in a full run', () => {
  it('is listed unavailable with the reason when its Python is missing, and the run goes on', async () => {
    const results = await runBench({
      filter: ['L2Loss/32x32/fails-mid-run/forward'],
      timing: TINY,
      backends: entries.filter((e) => e.name === 'fails-mid-run'),
      router: false,
      browser: false,
      jaxPython: '/nonexistent/.venv-jax/bin/python',
    });
    expect(results.reference.jax!.status).toBe('unavailable');
    expect(results.reference.jax!.reason).toMatch(/no Python at \/nonexistent.*scripts\/setup\.sh --jax/);
    expect(results.cells.map((c) => `${c.backend} ${c.status}`)).toEqual(['fails-mid-run ok']);
  });
});

describe('a run with broken backends', () => {
  it('marks their cells with the reason and goes on', async () => {
    const results = validateResults(
      JSON.parse(
        JSON.stringify(
          await runBench({
            quick: true,
            filter: ['L2Loss'],
            timing: TINY,
            backends: entries,
            router: false,
            browser: false,
            jaxPython: '/nonexistent/.venv-jax/bin/python',
          }),
        ),
      ),
    );
    const statusOf = (backend: string) =>
      results.cells.filter((c) => c.backend === backend).map((c) => `${c.size} ${c.mode} ${c.status}`);

    expect(results.backends.find((b) => b.name === 'cannot-load')).toMatchObject({
      available: false,
      reason: expect.stringMatching(/@example\/missing/),
    });
    expect(
      results.cells
        .filter((c) => c.backend === 'cannot-load')
        .every((c) => c.status === 'unavailable' && /@example\/missing/.test(c.reason!)),
    ).toBe(true);

    // every forward runs; every forwardBackward fails on its 3rd call, each size again
    expect(statusOf('fails-mid-run')).toEqual([
      '32x32 forward ok',
      '32x32 forwardBackward failed',
      '256x256 forward ok',
      '256x256 forwardBackward failed',
    ]);
    expect(results.cells.find((c) => c.backend === 'fails-mid-run' && c.status === 'failed')!.reason).toMatch(
      /device lost/,
    );

    expect(statusOf('supports-nothing').every((s) => s.endsWith('unsupported'))).toBe(true);
    expect(results.cells.find((c) => c.backend === 'supports-nothing')!.reason).toBe('not written yet');

    // in the quick grid a browser-only backend is listed at the smallest size of each loss
    const browserOnly = results.cells.filter((c) => c.backend === 'browser-only');
    expect(browserOnly.map((c) => `${c.size} ${c.mode}`)).toEqual(['32x32 forward', '32x32 forwardBackward']);
    expect(
      browserOnly.every((c) => c.status === 'unavailable' && /runs only in browser.*--no-browser/.test(c.reason!)),
    ).toBe(true);

    // without a Python the MXNet anchor says so, and the tfjs anchor and roofline still ran
    expect(results.reference.mxnet.status).toBe('unavailable');
    // the quick grid never starts JAX, even when its Python is given
    expect(results.reference.jax).toEqual({
      status: 'unavailable',
      reason: 'the quick grid leaves JAX out',
      cells: [],
    });
    expect(results.reference.tfjsBuiltin.cells.length).toBeGreaterThan(0);
    for (const c of results.cells.filter((x) => x.status === 'ok')) {
      expect(results.reference.roofline.some((r) => r.bytes === c.bytes)).toBe(true);
    }
  });
});

describe('the browser-only backends', () => {
  it('are timed in the bench page in headless Chromium, with the tfjs built-ins on their tfjs backend', async () => {
    const results = await runBench({
      quick: true,
      filter: ['L2Loss/32x32/tfjs-webgl', 'L2Loss/32x32/onnx-webgpu'],
      timing: TINY,
      router: false,
    });
    expect(results.backends.map((b) => [b.name, b.available, b.reason])).toEqual([
      ['tfjs-webgl', true, undefined],
      ['onnx-webgpu', true, undefined],
    ]);
    expect(results.cells.map((c) => `${c.backend} ${c.mode} ${c.status}`)).toEqual([
      'tfjs-webgl forward ok',
      'tfjs-webgl forwardBackward ok',
      'onnx-webgpu forward ok',
      'onnx-webgpu forwardBackward ok',
    ]);
    const webglBuiltins = results.reference.tfjsBuiltin.cells.filter((c) => c.backend === 'tfjs-webgl');
    expect(webglBuiltins.map((c) => `${c.builtin} ${c.mode} ${c.status}`)).toEqual([
      'tf.losses.meanSquaredError forward ok',
      'tf.losses.meanSquaredError forwardBackward ok',
    ]);
    // the page draws the same inputs, so its cells move the bytes the Node cells of the case move
    expect(results.reference.roofline.some((r) => r.bytes === results.cells[0]!.bytes)).toBe(true);
  });
});
