/**
 * The MXNet anchor: python/mxnet_bench.py in the repo's .venv (mxnet==1.9.1, as the golden
 * generator pins it), through the Python anchor protocol (python-anchor.ts).
 */
import { AnchorWorker, pythonScript } from './python-anchor.js';
import type { TimingSettings } from './measure.js';

export const MXNET_SCRIPT = pythonScript('mxnet_bench.py');

export interface MxnetOptions {
  /** The Python with mxnet==1.9.1 and numpy==1.23.5 (default: the repo's .venv). */
  readonly python: string;
  /** OMP_NUM_THREADS for MXNet, or 'default' to leave MXNet's own choice. */
  readonly threads: number | 'default';
  readonly timing: TimingSettings;
}

export function mxnetWorker(options: MxnetOptions): AnchorWorker {
  return new AnchorWorker({
    name: 'mxnet',
    title: 'MXNet',
    script: MXNET_SCRIPT,
    python: options.python,
    setupHint: 'scripts/setup.sh creates .venv with mxnet==1.9.1',
    env: options.threads === 'default' ? {} : { OMP_NUM_THREADS: String(options.threads) },
    timing: options.timing,
    notes: { imperative: 'imperative: MXNet 1.9.1 cannot hybridize this loss' },
  });
}
