/**
 * The inputs of a bench case: drawn from a seeded generator so every run times the same
 * numbers, and written to a binary file for the MXNet process, so that MXNet and the
 * backends are timed on identical data (not merely the same distribution).
 */
import { parseConfig, planCall, sizeOf, type FloatTensor, type Tensor } from '@gluon-loss/spec';
import type { BenchCase, InputRecipe } from './grid.js';

/** mulberry32: a small, fast 32-bit generator; quality is ample for benchmark data. */
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

/** FNV-1a of the text: the seed of an input is its case and name. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function draw(recipe: InputRecipe, seed: string): Float32Array {
  const n = sizeOf(recipe.shape);
  const out = new Float32Array(n);
  const rand = generator(seedOf(seed));
  const classes = recipe.classes ?? 2;
  switch (recipe.values) {
    case 'normal':
      // Box-Muller, two values per pair of uniforms
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - rand()));
        const theta = 2 * Math.PI * rand();
        out[i] = r * Math.cos(theta);
        if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
      }
      break;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = rand() < 0.5 ? -1 : 1;
      break;
    case 'binary':
      for (let i = 0; i < n; i++) out[i] = rand() < 0.5 ? 0 : 1;
      break;
    case 'class':
      for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * classes);
      break;
    case 'ctc-label':
      // the last channel is the blank, so labels stay below classes - 1
      for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * (classes - 1));
      break;
    case 'count':
      for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 8);
      break;
    case 'distribution':
    case 'log-distribution': {
      const last = recipe.shape[recipe.shape.length - 1]!;
      for (let row = 0; row < n; row += last) {
        let sum = 0;
        for (let j = 0; j < last; j++) sum += out[row + j] = 0.05 + rand();
        for (let j = 0; j < last; j++) {
          const p = out[row + j]! / sum;
          out[row + j] = recipe.values === 'distribution' ? p : Math.log(p);
        }
      }
      break;
    }
  }
  return out;
}

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
  const inputs: Record<string, FloatTensor> = {};
  for (const recipe of benchCase.inputs) {
    inputs[recipe.name] = {
      data: draw(recipe, `${benchCase.loss}/${benchCase.size}/${recipe.name}`),
      shape: [...recipe.shape],
    };
  }
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
