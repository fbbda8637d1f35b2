/**
 * Replays MXNet 1.9.1's training goldens with the router (`gluon-loss`) to get
 * gluon-loss's own loss curve for the dashboard: the model (Gluon Dense layers) forward
 * and backward by hand over Float32Arrays, the router's `forwardBackward` without a head
 * gradient (ones, as MXNet's `l.backward()`), then MXNet's SGD update
 * `w -= lr * (grad / batch)`. The same loop as packages/router/test/training-replay.test.ts,
 * which holds it to MXNet's curve; here it only records the curve. Four runs of 100
 * steps on models of a few hundred weights: a few seconds.
 */
import type { TrainingRun } from '@gluon-loss/golden';
import type { FloatTensor, LossInputs } from '@gluon-loss/spec';
import { createLoss } from 'gluon-loss';
import {
  TRAINING_REPLAY_FORMAT,
  TRAINING_REPLAY_FORMAT_VERSION,
  type ReplayedRun,
  type TrainingReplayFile,
} from './training-file.js';

/** Held by the replay tests of the router and of @gluon-loss/tfjs (TRAJECTORY_RTOL there, with its reasoning). */
export const TRAJECTORY_RTOL = 1e-4;

interface Dense {
  readonly units: number;
  readonly inUnits: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array | undefined;
  readonly tanh: boolean;
  readonly flatten: boolean;
}

/** What the backward pass needs of one layer's forward: its input and its output. */
interface Trace {
  readonly input: Float32Array;
  readonly output: Float32Array;
}

function layersOf(run: TrainingRun): Dense[] {
  return run.layers.map((layer, i) => {
    const weight = run.initialParams.find((p) => p.layer === i && p.name === 'weight')!.data;
    const bias = run.initialParams.find((p) => p.layer === i && p.name === 'bias')?.data;
    return {
      units: weight.shape[0]!,
      inUnits: weight.shape[1]!,
      weight: Float32Array.from(weight.data),
      bias: bias === undefined ? undefined : Float32Array.from(bias.data),
      tanh: layer.activation === 'tanh',
      flatten: layer.flatten,
    };
  });
}

/** x @ weight.T + bias (then tanh) over rows of inUnits values; MXNet's nn.Dense. */
function forward(layers: readonly Dense[], x: FloatTensor): { out: FloatTensor; traces: Trace[] } {
  let h = x.data;
  const traces: Trace[] = [];
  for (const l of layers) {
    const rows = h.length / l.inUnits;
    const y = new Float32Array(rows * l.units);
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < l.units; u++) {
        let s = l.bias === undefined ? 0 : l.bias[u]!;
        for (let k = 0; k < l.inUnits; k++) s += h[r * l.inUnits + k]! * l.weight[u * l.inUnits + k]!;
        y[r * l.units + u] = l.tanh ? Math.tanh(s) : s;
      }
    }
    traces.push({ input: h, output: y });
    h = y;
  }
  const last = layers[layers.length - 1]!;
  const lead = last.flatten ? [x.shape[0]!] : x.shape.slice(0, -1);
  return { out: { data: h, shape: [...lead, last.units] }, traces };
}

/** Adds the weights' gradients for the output gradient `dy` to `sums` ([weight, bias] per layer). */
function backward(
  layers: readonly Dense[],
  traces: readonly Trace[],
  dy: Float32Array,
  sums: readonly (readonly [Float64Array, Float64Array | undefined])[],
): void {
  let d = dy;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const { input, output } = traces[i]!;
    const rows = input.length / l.inUnits;
    const dz = l.tanh ? d.map((g, j) => g * (1 - output[j]! * output[j]!)) : d;
    const [dw, db] = sums[i]!;
    const dx = new Float32Array(input.length);
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < l.units; u++) {
        const g = dz[r * l.units + u]!;
        if (db !== undefined) db[u]! += g;
        for (let k = 0; k < l.inUnits; k++) {
          dw[u * l.inUnits + k]! += g * input[r * l.inUnits + k]!;
          dx[r * l.inUnits + k]! += g * l.weight[u * l.inUnits + k]!;
        }
      }
    }
    d = dx;
  }
}

/** One run: the batch-mean loss before the first step and after each. */
export async function replayRun(run: TrainingRun): Promise<ReplayedRun> {
  const started = performance.now();
  const loss = await createLoss(run.loss, run.config);
  const layers = layersOf(run);
  const batch = run.inputs.x!.shape[0]!;
  // a metric-learning run embeds its three inputs with the same model
  const embedded = run.loss === 'TripletLoss' ? ['pred', 'positive', 'negative'] : ['pred'];
  const modelInputs =
    run.loss === 'TripletLoss' ? [run.inputs.x!, run.inputs.positive!, run.inputs.negative!] : [run.inputs.x!];
  const ours: number[] = [];
  let backend = 'unknown';
  try {
    for (let step = 0; step <= run.steps; step++) {
      const passes = modelInputs.map((x) => forward(layers, x));
      const inputs: Record<string, LossInputs[string]> = { ...run.targets };
      embedded.forEach((name, i) => (inputs[name] = passes[i]!.out));
      const { loss: perSample, grads } = await loss.forwardBackward(inputs);
      ours.push(perSample.data.reduce((a, b) => a + b, 0) / perSample.data.length);
      if (step === run.steps) break;
      const sums = layers.map(
        (l) => [new Float64Array(l.weight.length), l.bias && new Float64Array(l.bias.length)] as const,
      );
      embedded.forEach((name, i) => backward(layers, passes[i]!.traces, grads[name]!.data, sums));
      // MXNet's sgd_update: weight -= lr * (rescale_grad * grad), rescale_grad = 1 / batch
      layers.forEach((l, i) => {
        const [dw, db] = sums[i]!;
        l.weight.forEach((w, j) => (l.weight[j] = w - run.learningRate * (dw[j]! / batch)));
        l.bias?.forEach((b, j) => (l.bias![j] = b - run.learningRate * (db![j]! / batch)));
      });
    }
    backend = loss.explain().backend ?? backend;
  } finally {
    loss.dispose();
  }
  return {
    name: run.name,
    description: run.description,
    loss: run.loss,
    steps: run.steps,
    learningRate: run.learningRate,
    backend,
    mxnet: [...run.losses],
    gluonLoss: ours,
    replayMs: performance.now() - started,
  };
}

export async function replayTrainingRuns(runs: readonly TrainingRun[], now = new Date()): Promise<TrainingReplayFile> {
  const replayed: ReplayedRun[] = [];
  for (const run of runs) replayed.push(await replayRun(run));
  return {
    format: TRAINING_REPLAY_FORMAT,
    formatVersion: TRAINING_REPLAY_FORMAT_VERSION,
    generatedAt: now.toISOString(),
    method:
      "gluon-loss's router (createLoss, forwardBackward without a head gradient) in a TypeScript training loop: Dense layers by hand over Float32Arrays, plain SGD as MXNet's sgd_update",
    tolerance: TRAJECTORY_RTOL,
    runs: replayed,
  };
}
