/**
 * The inputs of a bench case: drawn by the loss's spec (`sampleInputs`) from a generator
 * seeded by the case, so every run times the same numbers, and written to a binary file for the MXNet process, so that MXNet and the
 * backends are timed on identical data (not merely the same distribution).
 */
import { lossSpec, parseConfig, planCall, seededRng, sizeOf, type FloatTensor, type Tensor } from '@gluon-loss/spec';
import type { BenchCase } from './grid.js';

export interface PreparedCase {
  readonly benchCase: BenchCase;
  /** The inputs by MXNet name, in MXNet's positional order. */
  readonly inputs: Readonly<Record<string, FloatTensor>>;
  readonly headGrad: FloatTensor;
  readonly outputShape: readonly number[];
  /** The inputs whose gradients forwardBackward returns (the spec's plan). */
  readonly gradInputs: readonly string[];
  /** Bytes a forward call must at least move: inputs read, loss written. */
  readonly forwardBytes: number;
  /** The same for forwardBackward: inputs and head gradient read, loss and gradients written. */
  readonly forwardBackwardBytes: number;
}

/** Draws the case's inputs and asks the spec for its output shape and gradient inputs. */
export function prepareCase(benchCase: BenchCase): PreparedCase {
  const inputs = lossSpec(benchCase.loss).sampleInputs(
    benchCase.shape,
    seededRng(`${benchCase.loss}/${benchCase.size}`),
  );
  const plan = planCall(benchCase.loss, parseConfig(benchCase.loss, benchCase.config), inputs);
  const outputShape = [...plan.outputShape];
  const outputElements = sizeOf(outputShape);
  const inputElements = Object.values(inputs).reduce((s, t) => s + t.data.length, 0);
  const gradElements = plan.gradInputs.reduce((s, name) => s + inputs[name]!.data.length, 0);
  return {
    benchCase,
    inputs,
    headGrad: { data: new Float32Array(outputElements).fill(1), shape: outputShape },
    outputShape,
    gradInputs: plan.gradInputs,
    forwardBytes: 4 * (inputElements + outputElements),
    forwardBackwardBytes: 4 * (inputElements + 2 * outputElements + gradElements),
  };
}

export function shapesOf(prepared: PreparedCase): Record<string, readonly number[]> {
  return Object.fromEntries(Object.entries(prepared.inputs).map(([k, t]) => [k, t.shape]));
}

/** The tensors laid end to end, little-endian, as the MXNet script reads them. */
export function packTensors(tensors: readonly Tensor[]): { buffer: Buffer; offsets: number[] } {
  const offsets: number[] = [];
  let total = 0;
  for (const t of tensors) {
    offsets.push(total);
    total += t.data.byteLength;
  }
  const buffer = Buffer.alloc(total);
  tensors.forEach((t, i) =>
    buffer.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offsets[i]),
  );
  return { buffer, offsets };
}
