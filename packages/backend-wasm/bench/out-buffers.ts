/**
 * What the `out` option saves: forwardBackward over 1M elements on wasm-simd, with fresh
 * result arrays and with caller-owned buffers, on the compiled loss directly. A benchmark,
 * not a test: it prints a table and exits 0; nothing is asserted.
 *
 *   pnpm --filter @gluon-loss/backend-wasm run bench:out        (or: ... bench:out --quick)
 *
 * Fastest of the repeats (a busy machine's interruptions land in some runs, not others);
 * the ratio is of two timings taken in the same run, alternating.
 */
import { cpus, loadavg } from 'node:os';
import { lossSpec, seededRng, type CompiledLoss, type FloatTensor, type LossInputs } from '@gluon-loss/spec';
import { createWasmBackend } from '../src/index.js';

const QUICK = process.argv.includes('--quick');
const N = 1 << 20;
const REPEATS = QUICK ? 7 : 25;
const LOSSES = [
  'L2Loss',
  'HuberLoss',
  'LogisticLoss',
  'SigmoidBinaryCrossEntropyLoss',
  'SoftmaxCrossEntropyLoss',
] as const;

function ms(run: () => unknown): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

async function time(loss: CompiledLoss, inputs: LossInputs, head: FloatTensor, withOut: boolean): Promise<number> {
  const fresh = await loss.forwardBackward(inputs, head);
  const grads: Record<string, Float32Array> = {};
  for (const name in fresh.grads) grads[name] = new Float32Array(fresh.grads[name]!.data.length);
  const options = withOut ? { out: { loss: new Float32Array(fresh.loss.data.length), grads } } : undefined;
  // Single-threaded wasm-simd computes before the promise returns: the synchronous part is the call.
  return ms(() => void loss.forwardBackward(inputs, head, options));
}

const backend = createWasmBackend();
console.log(
  `wasm-simd forwardBackward, ${N} elements, fastest of ${REPEATS} (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})`,
);
console.log('loss                             fresh ms   out ms   out/fresh');
for (const name of LOSSES) {
  const loss = await backend.compile(name);
  const inputs = lossSpec(name).sampleInputs(N, seededRng(`bench-out/${name}`));
  const first = await loss.forwardBackward(inputs);
  const head = { data: new Float32Array(first.loss.data.length).fill(1), shape: [...first.loss.shape] };
  let fresh = Infinity;
  let out = Infinity;
  for (let r = 0; r < REPEATS; r++) {
    fresh = Math.min(fresh, await time(loss, inputs, head, false));
    out = Math.min(out, await time(loss, inputs, head, true));
  }
  console.log(
    `${name.padEnd(32)} ${fresh.toFixed(2).padStart(8)} ${out.toFixed(2).padStart(8)} ${(out / fresh).toFixed(2).padStart(10)}`,
  );
  loss.dispose();
}
await backend.dispose?.();
