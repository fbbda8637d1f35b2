/**
 * Replaying a training golden in plain TypeScript: the model (Gluon Dense layers) forward
 * and backward by hand over Float32Arrays, the loss's `forwardBackward` without a head
 * gradient (ones, as MXNet's `l.backward()`), then MXNet's SGD update
 * `w -= lr * (grad / batch)`. Any loss that takes typed arrays can be replayed (the
 * router's, a backend's compiled loss); it imports nothing of Node, so pages use it too.
 */
import type { ForwardBackwardResult, LossInputs, Tensor } from '@gluon-loss/spec';
import type { TrainingRun } from './training.js';

/**
 * How far a replay may stray from MXNet's curve, relative, per step. One float32 step
 * rounds each value to 2^-24 ≈ 6e-8 relative; a loss or gradient is a sum of a few dozen
 * such terms, so two correct float32 programs that order their sums differently (MXNet's
 * BLAS and oneDNN against our kernels) differ by ~1e-6 in a step. SGD on these small,
 * well-conditioned models does not amplify a difference in the weights (each step's map
 * is close to a contraction at these learning rates), so over 100 steps the differences
 * add up at most linearly: 100 × 1e-6 = 1e-4. A wrong gradient (a factor, a sign, a
 * missed term) moves the curve by far more within a few steps.
 */
export const TRAJECTORY_RTOL = 1e-4;

/** What a replay calls: one forwardBackward a step, with no head gradient. */
export interface ReplayableLoss {
  forwardBackward(inputs: LossInputs): Promise<ForwardBackwardResult>;
}

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
function forward(layers: readonly Dense[], x: Tensor<Float32Array>): { out: Tensor<Float32Array>; traces: Trace[] } {
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

/**
 * Replays `run` with `loss` (of the run's loss and config): the batch-mean loss before the
 * first step and after each (steps + 1 values, as `run.losses`). `afterCall` runs after
 * every forwardBackward (to ask a router who ran it).
 */
export async function replayTraining(
  run: TrainingRun,
  loss: ReplayableLoss,
  afterCall: () => void = () => {},
): Promise<number[]> {
  const layers = layersOf(run);
  const batch = run.inputs.x!.shape[0]!;
  // A metric-learning run embeds its three inputs with the same model.
  const embedded = run.loss === 'TripletLoss' ? ['pred', 'positive', 'negative'] : ['pred'];
  const modelInputs =
    run.loss === 'TripletLoss' ? [run.inputs.x!, run.inputs.positive!, run.inputs.negative!] : [run.inputs.x!];
  const losses: number[] = [];
  for (let step = 0; step <= run.steps; step++) {
    const passes = modelInputs.map((x) => forward(layers, x));
    const inputs: Record<string, LossInputs[string]> = { ...run.targets };
    embedded.forEach((name, i) => (inputs[name] = passes[i]!.out));
    const { loss: perSample, grads } = await loss.forwardBackward(inputs);
    afterCall();
    losses.push(perSample.data.reduce((a, b) => a + b, 0) / perSample.data.length);
    if (step === run.steps) break;
    const sums = layers.map(
      (l) => [new Float64Array(l.weight.length), l.bias && new Float64Array(l.bias.length)] as const,
    );
    embedded.forEach((name, i) => backward(layers, passes[i]!.traces, grads[name]!.data, sums));
    // MXNet's sgd_update: weight -= lr * (rescale_grad * grad), rescale_grad = 1 / batch.
    layers.forEach((l, i) => {
      const [dw, db] = sums[i]!;
      l.weight.forEach((w, j) => (l.weight[j] = w - run.learningRate * (dw[j]! / batch)));
      l.bias?.forEach((b, j) => (l.bias![j] = b - run.learningRate * (db![j]! / batch)));
    });
  }
  return losses;
}

/** Each step's |ours - MXNet's| / |MXNet's|. */
export function trajectoryDeviation(run: TrainingRun, losses: readonly number[]): number[] {
  return losses.map((v, i) => Math.abs(v - run.losses[i]!) / Math.abs(run.losses[i]!));
}
