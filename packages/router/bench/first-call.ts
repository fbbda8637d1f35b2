/**
 * What the first call of a large bucket costs through `createLoss` (load, calibration on
 * a proxy, the real call on the winner), against the fastest backend called directly on
 * the same call: wall time and peak RSS, each case in a fresh Node process (peak RSS is
 * `process.resourceUsage().maxRSS`, which only a fresh process measures for one call).
 * Target (issue 10): within 2x the time and 1.5x the peak memory. A benchmark, not a
 * test: it prints a table and exits 0.
 *
 *   pnpm --filter gluon-loss bench:first-call
 *   (one case: node packages/router/dist/bench/bench/first-call.js --case l2 --via router)
 *
 * Cases: L2Loss forwardBackward on [5000, 10000] (50M elements), SoftmaxCrossEntropyLoss
 * forwardBackward on [4096, 50000] with sparse labels. The direct runs use the backend the
 * router's run chose (its `explain().backend`) and ts, each compiled and called once; the
 * faster of them is the reference.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBuiltinBackend } from '@gluon-loss/backends';
import type { FloatTensor, LossInputs } from '@gluon-loss/spec';
import { createLoss } from '../src/index.js';

interface Case {
  readonly loss: string;
  readonly description: string;
  make(): { inputs: LossInputs; headGrad: FloatTensor };
}

/** Valid values without a generator's cost: a cheap deterministic pattern. */
function pattern(n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 2654435761) % 1000) / 1000 - 0.5 * scale;
  return a;
}

const CASES: Readonly<Record<string, Case>> = {
  l2: {
    loss: 'L2Loss',
    description: 'L2Loss forwardBackward [5000, 10000] (50M elements)',
    make: () => ({
      inputs: {
        pred: { data: pattern(50_000_000, 1), shape: [5000, 10000] },
        label: { data: pattern(50_000_000, 0), shape: [5000, 10000] },
      },
      headGrad: { data: new Float32Array(5000).fill(1), shape: [5000] },
    }),
  },
  softmax: {
    loss: 'SoftmaxCrossEntropyLoss',
    description: 'SoftmaxCELoss forwardBackward [4096, 50000], sparse labels',
    make: () => ({
      inputs: {
        pred: { data: pattern(4096 * 50_000, 1), shape: [4096, 50_000] },
        label: { data: new Float32Array(4096).map((_, i) => (i * 7919) % 50_000), shape: [4096] },
      },
      headGrad: { data: new Float32Array(4096).fill(1), shape: [4096] },
    }),
  },
};

interface Measured {
  readonly case: string;
  readonly via: string;
  readonly backend: string;
  readonly ms: number;
  readonly peakMiB: number;
  readonly inputsMiB: number;
  readonly reason?: string;
}

/** One case in this process: the call, timed from createLoss (or compile) to its result. */
async function runOne(name: string, via: string): Promise<Measured> {
  const c = CASES[name]!;
  const { inputs, headGrad } = c.make();
  const inputsMiB = process.memoryUsage().arrayBuffers / 2 ** 20;
  const start = performance.now();
  let backend: string;
  let reason: string | undefined;
  if (via === 'router') {
    const loss = await createLoss(c.loss);
    await loss.forwardBackward(inputs, headGrad);
    const e = loss.explain();
    backend = e.backend!;
    reason = e.routes[0]?.reason;
  } else {
    const b = await loadBuiltinBackend(via);
    const compiled = await b.compile(c.loss);
    await compiled.forwardBackward(inputs, headGrad);
    backend = via;
  }
  const ms = performance.now() - start;
  return {
    case: name,
    via,
    backend,
    ms,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    inputsMiB,
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** Runs one case in a fresh Node process and reads its JSON line. */
function spawnOne(name: string, via: string): Measured {
  const script = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--max-old-space-size=16384', script, '--case', name, '--via', via], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{'))
    throw new Error(`${name} via ${via} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(line) as Measured;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { case: { type: 'string', multiple: true }, via: { type: 'string' } },
    strict: true,
  });
  const names = values.case ?? Object.keys(CASES);
  if (values.via !== undefined) {
    // A child: one case, one JSON line.
    console.log(JSON.stringify(await runOne(names[0]!, values.via)));
    return;
  }
  for (const name of names) {
    const routed = spawnOne(name, 'router');
    // The router's choice and ts (the proxy can mispredict): the faster of them is "the fastest directly".
    const directs = [...new Set([routed.backend, 'ts'])].map((b) => spawnOne(name, b));
    const direct = directs.reduce((a, b) => (b.ms < a.ms ? b : a));
    console.log(`\n${CASES[name]!.description}`);
    for (const m of [routed, ...directs])
      console.log(
        `  ${m.via === 'router' ? `createLoss (ran on ${m.backend})` : `${m.backend} directly`}: ` +
          `${(m.ms / 1000).toFixed(2)} s, peak RSS ${(m.peakMiB / 1024).toFixed(2)} GiB (inputs ${(m.inputsMiB / 1024).toFixed(2)} GiB)`,
      );
    console.log(
      `  vs ${direct.backend} directly: time ${(routed.ms / direct.ms).toFixed(2)}x (target <= 2), peak memory ${(routed.peakMiB / direct.peakMiB).toFixed(2)}x (target <= 1.5)`,
    );
    if (routed.reason !== undefined) console.log(`  decision: ${routed.reason}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
