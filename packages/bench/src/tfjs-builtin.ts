/**
 * The tfjs anchor: TensorFlow.js's own losses (`tf.losses.*`) where one computes the same
 * thing as an MXNet loss, timed on the same tfjs backends our tfjs variants use. A call
 * is timed the way a backend's is: tensors made from the typed arrays, the loss (and its
 * gradients with `tf.valueAndGrads`), the results read back, everything disposed. Inputs
 * a tfjs loss wants in another form (one-hot labels, 0/1 labels for hinge) are converted
 * once, before timing. tfjs reduces to a scalar mean where MXNet keeps one value per
 * sample; the work is the same elementwise pass.
 */
import * as tf from '@tensorflow/tfjs';
import type { FloatTensor } from '@gluon-loss/spec';
import type { PreparedCase } from './inputs.js';

/** One argument of the tfjs loss, and whether its gradient is taken. */
interface BuiltinArg {
  readonly tensor: FloatTensor;
  readonly differentiable: boolean;
}

export interface BuiltinEquivalent {
  /** The tfjs function, for the report. */
  readonly fn: string;
  /** The arguments, in the tfjs function's order, from the case's inputs. */
  args(prepared: PreparedCase): BuiltinArg[];
  loss(args: tf.Tensor[]): tf.Scalar;
}

const input = (p: PreparedCase, name: string): FloatTensor => p.inputs[name]!;
/** The case's gradients are taken where the spec's plan takes them. */
const grad = (p: PreparedCase, name: string): boolean => p.gradInputs.includes(name);

/** -1/1 labels as the 0/1 labels tfjs's hinge and sigmoid losses take. */
function zeroOne(t: FloatTensor): FloatTensor {
  return { data: t.data.map((v) => (v + 1) / 2), shape: t.shape };
}

/** Sparse class indices as the one-hot rows tf.losses.softmaxCrossEntropy takes. */
function oneHot(label: FloatTensor, classes: number): FloatTensor {
  const out = new Float32Array(label.data.length * classes);
  label.data.forEach((c, row) => (out[row * classes + c] = 1));
  return { data: out, shape: [label.data.length, classes] };
}

const pairOf = (p: PreparedCase, labelOf: (t: FloatTensor) => FloatTensor = (t) => t): BuiltinArg[] => [
  { tensor: labelOf(input(p, 'label')), differentiable: grad(p, 'label') },
  { tensor: input(p, 'pred'), differentiable: grad(p, 'pred') },
];

/** MXNet loss name → tfjs equivalent. Losses not listed have none. */
export const TFJS_BUILTINS: Readonly<Record<string, BuiltinEquivalent>> = {
  L2Loss: {
    fn: 'tf.losses.meanSquaredError',
    args: (p) => pairOf(p),
    loss: ([l, p]) => tf.losses.meanSquaredError(l!, p!) as tf.Scalar,
  },
  L1Loss: {
    fn: 'tf.losses.absoluteDifference',
    args: (p) => pairOf(p),
    loss: ([l, p]) => tf.losses.absoluteDifference(l!, p!) as tf.Scalar,
  },
  SigmoidBinaryCrossEntropyLoss: {
    fn: 'tf.losses.sigmoidCrossEntropy',
    args: (p) => pairOf(p),
    loss: ([l, p]) => tf.losses.sigmoidCrossEntropy(l!, p!) as tf.Scalar,
  },
  LogisticLoss: {
    // MXNet's signed logistic loss is sigmoid cross-entropy on (label + 1) / 2
    fn: 'tf.losses.sigmoidCrossEntropy',
    args: (p) => pairOf(p, zeroOne),
    loss: ([l, p]) => tf.losses.sigmoidCrossEntropy(l!, p!) as tf.Scalar,
  },
  HuberLoss: {
    fn: 'tf.losses.huberLoss',
    args: (p) => pairOf(p),
    loss: ([l, p]) => tf.losses.huberLoss(l!, p!) as tf.Scalar,
  },
  HingeLoss: {
    // tfjs maps 0/1 labels to -1/1 itself
    fn: 'tf.losses.hingeLoss',
    args: (p) => pairOf(p, zeroOne),
    loss: ([l, p]) => tf.losses.hingeLoss(l!, p!) as tf.Scalar,
  },
  SoftmaxCrossEntropyLoss: {
    fn: 'tf.losses.softmaxCrossEntropy',
    args: (p) => {
      const pred = input(p, 'pred');
      return [
        { tensor: oneHot(input(p, 'label'), pred.shape[pred.shape.length - 1]!), differentiable: false },
        { tensor: pred, differentiable: grad(p, 'pred') },
      ];
    },
    loss: ([l, p]) => tf.losses.softmaxCrossEntropy(l!, p!) as tf.Scalar,
  },
  CosineEmbeddingLoss: {
    // tfjs's cosine distance assumes unit vectors (no norms): a lower bound on MXNet's work
    fn: 'tf.losses.cosineDistance',
    args: (p) => [
      { tensor: input(p, 'input2'), differentiable: grad(p, 'input2') },
      { tensor: input(p, 'input1'), differentiable: grad(p, 'input1') },
    ],
    loss: ([a, b]) => tf.losses.cosineDistance(a!, b!, 1) as tf.Scalar,
  },
};

/** tfjs prints a tfjs-node advert on the first cpu tensor in Node; IS_TEST silences it. */
function quietFirstTensor(): void {
  const flags = tf.env();
  const was = flags.getBool('IS_TEST');
  flags.set('IS_TEST', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    flags.set('IS_TEST', was);
  }
}

/** The installed wasm binaries' folder, in Node (`node:module` hidden from a browser bundle). */
async function installedWasmFolder(): Promise<string> {
  const nodeModule = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as {
    createRequire(from: string): { resolve(id: string): string };
  };
  const binary = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  return binary.slice(0, binary.lastIndexOf('/') + 1);
}

/**
 * Makes a tfjs backend (`cpu`, `wasm`, and in a page `webgl`, `webgpu`) the active one.
 * The backend-tfjs package shares this tfjs instance and normally initialised it first
 * (the bench probes the registry's backends before timing); in Node the wasm backend is
 * set up here if it has not been.
 */
export async function activateTfjs(variant: string): Promise<void> {
  if (
    variant === 'wasm' &&
    tf.findBackend('wasm') === null &&
    typeof process !== 'undefined' &&
    process.versions?.node
  ) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(await installedWasmFolder());
  }
  if (tf.getBackend() !== variant && !(await tf.setBackend(variant))) {
    throw new Error(`tf.setBackend('${variant}') failed`);
  }
  if (variant === 'cpu') quietFirstTensor();
}

export interface BuiltinCall {
  readonly forward: () => Promise<void>;
  readonly forwardBackward: () => Promise<void>;
}

/** The two timed calls of a case's tfjs equivalent. */
export function builtinCalls(equivalent: BuiltinEquivalent, prepared: PreparedCase): BuiltinCall {
  const args = equivalent.args(prepared);
  const upload = (): tf.Tensor[] => args.map((a) => tf.tensor(a.tensor.data, [...a.tensor.shape]));
  return {
    async forward() {
      const tensors = upload();
      const loss = equivalent.loss(tensors);
      await loss.data();
      tf.dispose([loss, ...tensors]);
    },
    async forwardBackward() {
      const tensors = upload();
      const wrt = args.flatMap((a, i) => (a.differentiable ? [i] : []));
      const f = (...xs: tf.Tensor[]): tf.Scalar =>
        equivalent.loss(tensors.map((t, i) => (wrt.includes(i) ? xs[wrt.indexOf(i)]! : t)));
      const { value, grads } = tf.valueAndGrads(f)(wrt.map((i) => tensors[i]!));
      await Promise.all([value.data(), ...grads.map((g) => g.data())]);
      tf.dispose([value, ...grads, ...tensors]);
    },
  };
}
