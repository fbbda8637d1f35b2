/**
 * The JAX anchor: python/jax_bench.py in .venv-jax (jax[cpu], jaxlib, optax and numpy
 * pinned by packages/bench/python/requirements-jax.txt), MXNet's losses compiled by XLA
 * for the CPU (python/jax_losses.py), through the Python anchor protocol
 * (python-anchor.ts). Timed in the full bench only: the quick grid's cost is unchanged.
 */
import { AnchorWorker, pythonScript } from './python-anchor.js';
import type { TimingSettings } from './measure.js';

export const JAX_SCRIPT = pythonScript('jax_bench.py');

export interface JaxOptions {
  /** The Python of .venv-jax. */
  readonly python: string;
  readonly timing: TimingSettings;
}

export function jaxWorker(options: JaxOptions): AnchorWorker {
  return new AnchorWorker({
    name: 'jax',
    title: 'JAX',
    script: JAX_SCRIPT,
    python: options.python,
    setupHint: 'scripts/setup.sh --jax creates .venv-jax',
    // one CPU device and no accelerator probing: XLA's CPU runtime with its own threads
    env: { JAX_PLATFORMS: 'cpu' },
    timing: options.timing,
  });
}
