/**
 * One replay of an MXNet training run with the router in a plain TypeScript loop: the model
 * (Gluon Dense layers) forward and backward by hand over Float32Arrays, `forwardBackward`
 * without a head gradient (ones, as MXNet's `l.backward()`), then MXNet's SGD update
 * `w -= lr * (grad / batch)`. Shared by the Node test (training-replay.test.ts) and the
 * Chromium page (browser/replay-page), so it imports nothing of Node.
 */
import type { TrainingRun } from '@gluon-loss/golden';
import type { FloatTensor, LossInputs } from '@gluon-loss/spec';
import type { RoutedLoss } from '../src/index.js';

/**
 * Relative, per step: the bound's reasoning is beside TRAJECTORY_RTOL in
 * packages/tfjs/test/replay-run.ts (float32 rounding of ~1e-6 per step, adding up at most
 * linearly over 100 steps of a non-expanding SGD map).
 */
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
function forward(layers: Dense[], x: FloatTensor): { out: FloatTensor; traces: Trace[] } {
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

/** Adds the gradients of the weights for the output gradient `dy` to `sums`. */
function backward(layers: Dense[], traces: Trace[], dy: Float32Array, sums: Float64Array[][]): void {
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
          dw![u * l.inUnits + k]! += g * input[r * l.inUnits + k]!;
          dx[r * l.inUnits + k]! += g * l.weight[u * l.inUnits + k]!;
        }
      }
    }
    d = dx;
  }
}

/** What a replay gives back: each step's relative deviation from MXNet, and the backends that ran its calls. */
export interface RouterReplay {
  readonly deviation: number[];
  readonly backends: string[];
}

/**
 * Replays a run with `loss` (a routed loss of the run's loss and config, which the replay
 * disposes), one forwardBackward per step; `explain().backend` after each call says who ran it.
 */
export async function replayThroughRouter(run: TrainingRun, loss: RoutedLoss): Promise<RouterReplay> {
  const layers = layersOf(run);
  const batch = run.inputs.x!.shape[0]!;
  const embedded = run.loss === 'TripletLoss' ? ['pred', 'positive', 'negative'] : ['pred'];
  const modelInputs =
    run.loss === 'TripletLoss' ? [run.inputs.x!, run.inputs.positive!, run.inputs.negative!] : [run.inputs.x!];
  const ours: number[] = [];
  const backends = new Set<string>();
  try {
    for (let step = 0; step <= run.steps; step++) {
      const passes = modelInputs.map((x) => forward(layers, x));
      const inputs: Record<string, LossInputs[string]> = { ...run.targets };
      embedded.forEach((name, i) => (inputs[name] = passes[i]!.out));
      const { loss: perSample, grads } = await loss.forwardBackward(inputs);
      ours.push(perSample.data.reduce((a, b) => a + b, 0) / perSample.data.length);
      backends.add(loss.explain().backend ?? 'none');
      if (step === run.steps) break;
      const sums = layers.map((l) => [new Float64Array(l.weight.length), l.bias && new Float64Array(l.bias.length)]);
      embedded.forEach((name, i) => backward(layers, passes[i]!.traces, grads[name]!.data, sums as Float64Array[][]));
      // MXNet's sgd_update: weight -= lr * (rescale_grad * grad), rescale_grad = 1 / batch.
      layers.forEach((l, i) => {
        const [dw, db] = sums[i]!;
        l.weight.forEach((w, j) => (l.weight[j] = w - run.learningRate * (dw![j]! / batch)));
        l.bias?.forEach((b, j) => (l.bias![j] = b - run.learningRate * (db![j]! / batch)));
      });
    }
  } finally {
    loss.dispose();
  }
  return {
    deviation: ours.map((v, i) => Math.abs(v - run.losses[i]!) / Math.abs(run.losses[i]!)),
    backends: [...backends],
  };
}
