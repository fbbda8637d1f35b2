/**
 * A representative call of each loss at two sizes, with valid values: `small` is the
 * size of a golden case (a few rows of a few features), `large` is about a million
 * elements of the main input where the loss is linear in it (CTC and SDML do more work
 * per element, so theirs are smaller). Used by the choices CLI and the overhead bench;
 * values come from a fixed-seed generator, so every run times the same inputs.
 */
import {
  LOSS_NAMES,
  checkHeadGrad,
  parseConfig,
  planCall,
  sizeOf,
  type CanonicalLossName,
  type FloatTensor,
  type LossInputs,
  type Shape,
  type Tensor,
} from '@gluon-loss/spec';

export type SampleSize = 'small' | 'large';

export interface SampleCall {
  readonly loss: CanonicalLossName;
  readonly size: SampleSize;
  /** The shapes, for a table: `pred [1024, 1024]`. */
  readonly description: string;
  readonly inputs: LossInputs;
  readonly headGrad: FloatTensor;
}

/** mulberry32: a small, fixed-seed generator; the values only need to be valid, not random. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filled(shape: Shape, value: (i: number) => number): Tensor<Float32Array> {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(i);
  return { data, shape: [...shape] };
}

const ELEMENTWISE: Readonly<Record<SampleSize, readonly [number, number]>> = {
  small: [4, 8],
  large: [1024, 1024],
};

/** The call's inputs, before the head gradient. */
function inputsFor(loss: CanonicalLossName, size: SampleSize, next: () => number): LossInputs {
  const uniform = (lo: number, hi: number) => () => lo + (hi - lo) * next();
  const sign = () => (next() < 0.5 ? -1 : 1);
  const shape = ELEMENTWISE[size];
  switch (loss) {
    case 'L2Loss':
    case 'L1Loss':
    case 'HuberLoss':
      return { pred: filled(shape, uniform(-2, 2)), label: filled(shape, uniform(-2, 2)) };
    case 'SigmoidBinaryCrossEntropyLoss':
      return { pred: filled(shape, uniform(-4, 4)), label: filled(shape, () => (next() < 0.5 ? 0 : 1)) };
    case 'HingeLoss':
    case 'SquaredHingeLoss':
    case 'LogisticLoss':
      return { pred: filled(shape, uniform(-2, 2)), label: filled(shape, sign) };
    case 'SoftmaxCrossEntropyLoss': {
      const [rows, classes] = shape;
      return {
        pred: filled([rows, classes], uniform(-4, 4)),
        label: filled([rows], () => Math.floor(next() * classes)),
      };
    }
    case 'KLDivLoss': {
      // from_logits (the default): pred is a log-probability, label a distribution.
      const [rows, classes] = shape;
      return {
        pred: filled(shape, () => Math.log((0.5 + next()) / classes)),
        label: filled([rows, classes], () => (0.5 + next()) / classes),
      };
    }
    case 'TripletLoss':
      return {
        pred: filled(shape, uniform(-1, 1)),
        positive: filled(shape, uniform(-1, 1)),
        negative: filled(shape, uniform(-1, 1)),
      };
    case 'PoissonNLLLoss':
      return { pred: filled(shape, uniform(-1, 1)), target: filled(shape, () => Math.floor(next() * 5)) };
    case 'CosineEmbeddingLoss':
      return {
        input1: filled(shape, uniform(-1, 1)),
        input2: filled(shape, uniform(-1, 1)),
        label: filled([shape[0]], sign),
      };
    case 'SDMLLoss': {
      const s: [number, number] = size === 'small' ? [4, 8] : [512, 128];
      return { x1: filled(s, uniform(-1, 1)), x2: filled(s, uniform(-1, 1)) };
    }
    case 'CTCLoss': {
      // NTC; labels avoid the blank (the last channel), and 2L + 1 <= T so every alignment fits.
      const [n, t, c, l] = size === 'small' ? [2, 20, 4, 4] : [32, 128, 64, 32];
      return { pred: filled([n, t, c], uniform(-2, 2)), label: filled([n, l], () => Math.floor(next() * (c - 1))) };
    }
  }
}

/** A valid call of `loss` at `size` (default config), with a head gradient of ones. */
export function sampleCall(loss: CanonicalLossName, size: SampleSize): SampleCall {
  const inputs = inputsFor(loss, size, generator(LOSS_NAMES.indexOf(loss) + (size === 'large' ? 1000 : 0)));
  const plan = planCall(loss, parseConfig(loss, {}), inputs);
  const headGrad = checkHeadGrad(
    plan,
    filled(plan.outputShape, () => 1),
  );
  const description = Object.entries(plan.tensors)
    .map(([name, t]) => `${name} [${t.shape.join(', ')}]`)
    .join(', ');
  return { loss, size, description, inputs, headGrad };
}
