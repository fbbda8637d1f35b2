/**
 * A representative call of each loss at two sizes, with valid values from the loss's own
 * spec (`sampleInputs`): `small` is the size of a golden case (a few rows of a few
 * features), `large` is about a million elements of the main input (SDML, whose cost
 * grows with the square of its batch, caps it). Used by the choices CLI and the overhead
 * bench; values come from a fixed-seed generator, so every run times the same inputs.
 */
import {
  checkHeadGrad,
  lossSpec,
  parseConfig,
  planCall,
  seededRng,
  sizeOf,
  type CanonicalLossName,
  type FloatTensor,
  type LossInputs,
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

/** Elements of the main input: a golden case's size, and about a million. */
const ELEMENTS: Readonly<Record<SampleSize, number>> = { small: 32, large: 1 << 20 };

/** A valid call of `loss` at `size` (default config), with a head gradient of ones. */
export function sampleCall(loss: CanonicalLossName, size: SampleSize): SampleCall {
  const inputs = lossSpec(loss).sampleInputs(ELEMENTS[size], seededRng(`${loss}/${size}`));
  const plan = planCall(loss, parseConfig(loss, {}), inputs);
  const headGrad = checkHeadGrad(plan, {
    data: new Float32Array(sizeOf(plan.outputShape)).fill(1),
    shape: [...plan.outputShape],
  });
  const description = Object.entries(plan.tensors)
    .map(([name, t]) => `${name} [${t.shape.join(', ')}]`)
    .join(', ');
  return { loss, size, description, inputs, headGrad };
}
