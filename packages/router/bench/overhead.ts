/**
 * What dispatch through the router costs, over calling the chosen backend's compiled loss
 * directly: per call at golden sizes (target <= 20 us) and as a share at a million
 * elements (target <= 5%). A benchmark, not a test: it prints a table and exits 0.
 *
 *   pnpm --filter gluon-loss bench:overhead           (or: ... bench:overhead -- --quick)
 *
 * Two measurements per row, on the same inputs:
 * - A/B: the router decides first (its timing is not measured here), then the backend it
 *   chose is compiled directly; after a warm-up, batches of direct and routed calls run
 *   in pairs (direct first in even pairs, routed first in odd ones, so drift hits both)
 *   and the overhead is the median over pairs of routed - direct. On a busy machine a
 *   million-element call varies by more than the router costs, so this is noisy there.
 * - dispatch alone: the same call routed to a backend that does no work and called on it
 *   directly; the difference is exactly what the router adds (the spec's checks, the
 *   bucket, the lookup, one more await), since a routed call is that plus the direct
 *   call. Its share of the direct time is the precise overhead figure.
 */
import { cpus, loadavg } from 'node:os';
import { loadBuiltinBackend } from '@gluon-loss/backends';
import { createRouter, sampleCall, type RoutedLoss, type SampleCall, type SampleSize } from '../src/index.js';
import {
  parseConfig,
  planCall,
  sizeOf,
  type Backend,
  type CanonicalLossName,
  type CompiledLoss,
  type FloatTensor,
  type ForwardBackwardResult,
  type LossInputs,
} from '@gluon-loss/spec';

type Mode = 'forward' | 'forwardBackward';
type Call = () => Promise<unknown>;

interface Pairs {
  readonly directUs: number;
  readonly routedUs: number;
  /** Median over batch pairs of routed - direct. */
  readonly diffUs: number;
}

interface Row {
  readonly loss: CanonicalLossName;
  readonly call: SampleCall;
  readonly mode: Mode;
  readonly backend: string;
  readonly ab: Pairs;
  readonly dispatchUs: number;
}

const quick = process.argv.includes('--quick');
const SETTINGS: Record<SampleSize, { warmup: number; batch: number; pairs: number }> = quick
  ? { small: { warmup: 500, batch: 500, pairs: 9 }, large: { warmup: 2, batch: 1, pairs: 9 } }
  : { small: { warmup: 5000, batch: 1000, pairs: 41 }, large: { warmup: 5, batch: 2, pairs: 41 } };
const CASES: readonly [CanonicalLossName, SampleSize][] = [
  ['L2Loss', 'small'],
  ['SoftmaxCrossEntropyLoss', 'small'],
  ['L2Loss', 'large'],
  ['SoftmaxCrossEntropyLoss', 'large'],
];

/** Node's collector, when run with --expose-gc (the package script does). */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function callOf(target: CompiledLoss | RoutedLoss, mode: Mode, call: SampleCall): Call {
  const inputs: LossInputs = call.inputs;
  const headGrad: FloatTensor = call.headGrad;
  return mode === 'forward' ? () => target.forward(inputs) : () => target.forwardBackward(inputs, headGrad);
}

async function timeBatch(call: Call, n: number, size: SampleSize): Promise<number> {
  // A million-element call leaves megabytes of garbage; collect it outside the timed
  // batch, or whichever side runs next pays for the other's.
  if (size === 'large') collectGarbage?.();
  const start = performance.now();
  for (let i = 0; i < n; i++) await call();
  return ((performance.now() - start) * 1000) / n; // us per call
}

async function pairs(direct: Call, routed: Call, size: SampleSize): Promise<Pairs> {
  const { warmup, batch, pairs: count } = SETTINGS[size];
  for (let i = 0; i < warmup; i++) {
    await direct();
    await routed();
  }
  const d: number[] = [];
  const r: number[] = [];
  for (let p = 0; p < count; p++) {
    if (p % 2 === 0) {
      d.push(await timeBatch(direct, batch, size));
      r.push(await timeBatch(routed, batch, size));
    } else {
      r.push(await timeBatch(routed, batch, size));
      d.push(await timeBatch(direct, batch, size));
    }
  }
  return { directUs: median(d), routedUs: median(r), diffUs: median(d.map((x, i) => r[i]! - x)) };
}

/** A backend whose compiled loss returns one fixed result at once, whatever it is given. */
function noopBackend(): Backend {
  return {
    name: 'noop',
    environments: ['node', 'browser'],
    probe: async () => ({ available: true }),
    supports: () => ({ supported: true }),
    compile: async (loss) => {
      // A result of the right shapes (the router checks them), made on the first call and
      // returned as is after: no work per call.
      let result: ForwardBackwardResult | undefined;
      const shaped = (inputs: LossInputs): ForwardBackwardResult => {
        if (result !== undefined) return result;
        const plan = planCall(loss, parseConfig(loss, {}), inputs);
        const zeros = (shape: readonly number[]) => ({ data: new Float32Array(sizeOf(shape)), shape });
        result = {
          loss: zeros(plan.outputShape),
          grads: Object.fromEntries(plan.gradInputs.map((n) => [n, zeros(plan.tensors[n]!.shape)])),
        };
        return result;
      };
      return {
        backend: 'noop',
        loss: loss as CanonicalLossName,
        config: {},
        forward: async (inputs) => shaped(inputs),
        forwardBackward: async (inputs) => shaped(inputs),
        dispose: () => undefined,
      };
    },
  };
}

/** What the router adds to this call: routed to the no-op backend, minus the no-op called directly. */
async function dispatchAlone(loss: CanonicalLossName, mode: Mode, call: SampleCall): Promise<number> {
  const backend = noopBackend();
  const router = createRouter({ builtins: false, backends: [{ backend, eligibility: [loss] }] });
  const routedLoss = await router.createLoss(loss);
  const compiled = await backend.compile(loss);
  await callOf(routedLoss, mode, call)(); // decides
  // Always small batches: neither side computes anything, whatever the input size.
  return (await pairs(callOf(compiled, mode, call), callOf(routedLoss, mode, call), 'small')).diffUs;
}

function format(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} us`;
}

async function main(): Promise<void> {
  const router = createRouter();
  const rows: Row[] = [];
  for (const [loss, size] of CASES) {
    const call = sampleCall(loss, size);
    const routedLoss = await router.createLoss(loss);
    for (const mode of ['forward', 'forwardBackward'] as const) {
      await callOf(routedLoss, mode, call)(); // the router decides here
      const backend = routedLoss.explain().backend!;
      const compiled = await (await loadBuiltinBackend(backend)).compile(loss, {});
      const ab = await pairs(callOf(compiled, mode, call), callOf(routedLoss, mode, call), size);
      // The measurement must not have moved the route (a fault would show here).
      if (routedLoss.explain().backend !== backend) throw new Error(`${loss}: the route changed during the benchmark`);
      compiled.dispose();
      const dispatchUs = await dispatchAlone(loss, mode, call);
      rows.push({ loss, call, mode, backend, ab, dispatchUs });
      process.stderr.write(
        `  ${loss} ${size} ${mode} on ${backend}: direct ${format(ab.directUs)}, routed ${format(ab.routedUs)}, dispatch ${format(dispatchUs)}\n`,
      );
    }
    routedLoss.dispose();
  }
  await router.dispose();

  // The load average says how busy the machine was, which explains the A/B spread.
  console.log(
    `node ${process.versions.node}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}, ${quick ? 'quick' : 'full'} settings` +
      `${collectGarbage ? ', gc between large batches' : ''}; medians over ${SETTINGS.small.pairs} batch pairs`,
  );
  console.log(
    '| loss | input | mode | chosen backend | direct / call | routed / call | A/B overhead | dispatch alone | overhead | target |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const large = r.call.size === 'large';
    const share = (us: number) => `${((100 * us) / r.ab.directUs).toFixed(2)} %`;
    console.log(
      `| ${r.loss} | ${r.call.description} | ${r.mode} | ${r.backend} | ${format(r.ab.directUs)} | ${format(r.ab.routedUs)} | ` +
        `${large ? share(r.ab.diffUs) : format(r.ab.diffUs)} | ${format(r.dispatchUs)} | ${large ? share(r.dispatchUs) : format(r.dispatchUs)} | ${large ? '<= 5 %' : '<= 20 us'} |`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
