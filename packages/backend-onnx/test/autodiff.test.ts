/**
 * Reverse mode over the op library, checked against closed-form derivatives and against
 * central finite differences of float64 reference functions (h = 1e-4, error ~1e-8, far
 * below the float32 graph's own rounding).
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphOps, gradients, type GraphOpsOptions, type Value } from '../src/index.js';

interface Input {
  readonly data: number[];
  readonly shape: number[];
  readonly dtype?: 'float32' | 'int32';
}

/** Builds `f`, its gradient graph for head gradient `head`, and runs both on the wasm EP. */
async function differentiate(
  inputs: Record<string, Input>,
  f: (ops: GraphOps, x: Record<string, Value>) => Value,
  head?: number[],
  options: GraphOpsOptions = {},
): Promise<{ value: Float32Array; grads: Record<string, Float32Array> }> {
  const g = new GraphBuilder();
  const ops = new GraphOps(g, options);
  const raw: Record<string, Value> = {};
  const x: Record<string, Value> = {};
  for (const [name, t] of Object.entries(inputs)) {
    raw[name] = g.input(name, t.dtype ?? 'float32', t.shape);
    ops.markDifferentiable(raw[name]);
    x[name] = ops.toFloat(raw[name]);
  }
  const out = f(ops, x);
  const headGrad = g.input('head', 'float32', out.shape);
  g.output(out, 'value');
  const names = Object.keys(inputs);
  gradients(
    ops,
    out,
    headGrad,
    names.map((n) => raw[n]!),
  ).forEach((gr, i) => g.output(gr, `d_${names[i]}`));
  const feeds: Record<string, ort.Tensor> = {
    head: new ort.Tensor(
      'float32',
      Float32Array.from(head ?? new Array<number>(out.shape.reduce((a, b) => a * b, 1)).fill(1)),
      out.shape,
    ),
  };
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] =
      t.dtype === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(t.data), t.shape)
        : new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
  }
  const session = await ort.InferenceSession.create(g.toModel(), { executionProviders: ['wasm'] });
  try {
    const res = await session.run(feeds);
    const grads: Record<string, Float32Array> = {};
    for (const n of names) grads[n] = res[`d_${n}`]!.data as Float32Array;
    return { value: res.value!.data as Float32Array, grads };
  } finally {
    await session.release();
  }
}

/** Central differences of a float64 scalar function. */
function numericGradient(f: (x: number[]) => number, x: number[], h = 1e-4): number[] {
  return x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

function expectClose(got: ArrayLike<number>, want: readonly number[], rtol = 1e-5, atol = 1e-6): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    if (Math.abs(g - w) > atol + rtol * Math.abs(w)) expect.fail(`element ${i}: got ${g}, want ${w}`);
  });
}

describe('gradients', () => {
  it('of broadcasting arithmetic sum back to each operand', async () => {
    const x = [0.5, -1, 2, 0.25, 1.5, -0.75];
    const y = [2, -3, 0.5];
    const { grads } = await differentiate({ x: { data: x, shape: [2, 3] }, y: { data: y, shape: [3] } }, (ops, v) =>
      ops.reduceSum(ops.div(ops.mul(ops.exp(v.x!), v.y!), ops.add(v.y!, 4)), [0, 1]),
    );
    // f = sum_ij exp(x_ij) * y_j / (y_j + 4)
    expectClose(
      grads.x!,
      x.map((xi, k) => (Math.exp(xi) * y[k % 3]!) / (y[k % 3]! + 4)),
    );
    expectClose(
      grads.y!,
      y.map((yj, j) => (Math.exp(x[j]!) + Math.exp(x[j + 3]!)) * (4 / (yj + 4) ** 2)),
    );
  });

  it('of a value used twice add up', async () => {
    const x = [1.5, -2, 3];
    const { grads } = await differentiate(
      { x: { data: x, shape: [3] } },
      (ops, v) => ops.add(ops.mul(v.x!, v.x!), v.x!),
      [1, 2, -1],
    );
    expectClose(grads.x!, [(2 * 1.5 + 1) * 1, (2 * -2 + 1) * 2, (2 * 3 + 1) * -1]);
  });

  it('of log_softmax are the closed form and match finite differences', async () => {
    const x = [0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 3.0, -2.0];
    const w = [0.7, -0.2, 1.5, 0.1, -1.0, 0.4, 0.25, 2.0];
    const { value, grads } = await differentiate(
      { x: { data: x, shape: [2, 4] } },
      (ops, v) => ops.logSoftmax(v.x!, 1),
      w,
    );
    const logSoftmax = (z: number[]): number[] =>
      z.map((zi, k) => {
        const row = z.slice(Math.floor(k / 4) * 4, Math.floor(k / 4) * 4 + 4);
        const m = Math.max(...row);
        return zi - m - Math.log(row.reduce((s, r) => s + Math.exp(r - m), 0));
      });
    expectClose(value, logSoftmax(x));
    expectClose(
      grads.x!,
      numericGradient((z) => logSoftmax(z).reduce((s, l, k) => s + w[k]! * l, 0), x),
    );
  });

  it('through a composite of most ops match finite differences', async () => {
    const a = [0.4, -1.3, 2.2, 0.9, -0.6, 1.7];
    const b = [1.1, 0.2, -0.8, 0.5, 2.4, -1.9];
    const { grads } = await differentiate(
      { a: { data: a, shape: [2, 3] }, b: { data: b, shape: [3, 2] } },
      (ops, v) => {
        const bt = ops.transpose(v.b!, [1, 0]);
        const d = ops.sub(v.a!, bt);
        const soft = ops.softrelu(ops.neg(ops.abs(d)));
        const norm = ops.sqrt(ops.add(ops.reduceSum(ops.square(v.a!), [1], true), 1));
        const mixed = ops.mul(ops.relu(ops.add(soft, ops.mul(d, 0.3))), norm);
        return ops.reshape(ops.reduceMean(mixed, [0, 1]), [1]);
      },
    );
    const reference = (av: number[], bv: number[]): number => {
      let total = 0;
      for (let i = 0; i < 2; i++) {
        const norm = Math.sqrt(1 + av[i * 3]! ** 2 + av[i * 3 + 1]! ** 2 + av[i * 3 + 2]! ** 2);
        for (let j = 0; j < 3; j++) {
          const d = av[i * 3 + j]! - bv[j * 2 + i]!;
          total += Math.max(Math.log1p(Math.exp(-Math.abs(d))) + 0.3 * d, 0) * norm;
        }
      }
      return total / 6;
    };
    expectClose(
      grads.a!,
      numericGradient((z) => reference(z, b), a),
      1e-4,
      1e-6,
    );
    expectClose(
      grads.b!,
      numericGradient((z) => reference(a, z), b),
      1e-4,
      1e-6,
    );
  });

  it("follow MXNet's conventions at kinks: relu and abs give 0 at 0, maximum sends ties to its first argument", async () => {
    const x = [0, 0, 2, -1];
    const y = [0, 1, 2, -3];
    const { grads } = await differentiate({ x: { data: x, shape: [4] }, y: { data: y, shape: [4] } }, (ops, v) =>
      ops.add(ops.add(ops.relu(v.x!), ops.abs(v.x!)), ops.maximum(v.x!, v.y!)),
    );
    // relu' = [0, 0, 1, 0]; abs' = [0, 0, 1, -1]; maximum(x, y) picks x at ties (x >= y)
    expectClose(grads.x!, [0 + 0 + 1, 0 + 0 + 0, 1 + 1 + 1, 0 - 1 + 1]);
    expectClose(grads.y!, [0, 1, 0, 0]);
  });

  it('route a where to the branch taken and stop at conditions', async () => {
    const x = [-2, 0.5, 3];
    const { grads } = await differentiate({ x: { data: x, shape: [3] } }, (ops, v) =>
      ops.where(ops.greater(v.x!, 1), ops.mul(v.x!, v.x!), ops.mul(v.x!, -5)),
    );
    expectClose(grads.x!, [-5, -5, 6]);
  });

  it('pass through reshape, expand, transpose and mean', async () => {
    const x = [1, 2, 3];
    const w = Array.from({ length: 12 }, (_, k) => k - 5);
    const { grads } = await differentiate({ x: { data: x, shape: [3] } }, (ops, v) =>
      ops.reduceMean(
        ops.mul(ops.transpose(ops.expand(ops.reshape(v.x!, [3, 1]), [3, 4]), [1, 0]), ops.graph.constant(w, [4, 3])),
        [0],
      ),
    );
    // out_j = mean_i x_j * w[i, j]; the head gradient is 1 for each j
    expectClose(
      grads.x!,
      [0, 1, 2].map((j) => (w[j]! + w[3 + j]! + w[6 + j]! + w[9 + j]!) / 4),
    );
  });

  it('of an int32 input come back as float32, and of an unused input as zeros', async () => {
    const { grads } = await differentiate(
      { k: { data: [3, -1], shape: [2], dtype: 'int32' }, unused: { data: [5, 6], shape: [2] } },
      (ops, v) => ops.mul(v.k!, v.k!),
      [1, 1],
    );
    expect(grads.k).toBeInstanceOf(Float32Array);
    expectClose(grads.k!, [6, -2]);
    expectClose(grads.unused!, [0, 0]);
  });

  it("of log at a subnormal x are MXNet's g * (1/x): NaN for g = 0, Inf for g = 1", async () => {
    // mx.nd.log([1e-40, 1e-40, 2]) backward with head [0, 1, 1] in MXNet 1.9.1: [nan, inf, 0.5].
    // ORT's optimizer would fuse g * Div(1, x) into g / x, which gives 0 and 1e40 -> Inf.
    for (const guardLog of [false, true]) {
      const { grads } = await differentiate(
        { x: { data: [1e-40, 1e-40, 2], shape: [3] } },
        (ops, v) => ops.log(v.x!),
        [0, 1, 1],
        { guardLog },
      );
      expect([...grads.x!]).toEqual([Number.NaN, Infinity, 0.5]);
    }
  });

  it('of a guarded log (the webgpu variant) keep IEEE values and the gradient g / x at and below 0', async () => {
    const x = [0, -1, 0.5, 2];
    const { value, grads } = await differentiate(
      { x: { data: x, shape: [4] } },
      (ops, v) => ops.log(v.x!),
      [1, 1, 1, 0],
      { guardLog: true },
    );
    expect(value[0]).toBe(-Infinity);
    expect(value[1]).toBeNaN();
    expectClose(value.subarray(2), [Math.log(0.5), Math.log(2)]);
    expect([...grads.x!]).toEqual([Infinity, -1, 2, 0]);
  });
});
