/**
 * `GraphOps.sumFloat32` (the CPU variants' sums and means) computes what MXNet's float32
 * sum computes: ±Inf for good once a partial sum overflows, NaN from a later opposite Inf
 * or a NaN, and a long sum as accurate as mshadow's compensated one. The expected rows are
 * MXNet 1.9.1's `nd.sum` / `nd.mean` of the same rows.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { tensor } from '@gluon-loss/spec';
import { GraphBuilder, GraphOps, createOnnxBackend } from '../src/index.js';

const ROWS = [
  [3e38, 3e38, -3e38, -3e38],
  [3e38, -3e38, 1, 1],
  [-Infinity, 3e38, 3e38, 1],
  [-3e38, -3e38, Infinity, 1],
  [1, 2, 3, 4],
  [3e38, 3e38, -Infinity, 5],
  [Number.NaN, 3e38, 3e38, 1],
  [3e38, 3e38, Number.NaN, 1],
];
/** `mx.nd.sum(x, axis=1)` and `mx.nd.mean(x, axis=1)` of ROWS in MXNet 1.9.1. */
const MXNET_SUM = [Infinity, 2, -Infinity, Number.NaN, 10, Number.NaN, Number.NaN, Number.NaN];
const MXNET_MEAN = [Infinity, 0.5, -Infinity, Number.NaN, 2.5, Number.NaN, Number.NaN, Number.NaN];

async function run(graph: GraphBuilder, x: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(graph.toModel(), { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe('sumFloat32', () => {
  it("gives MXNet's float32 sum and mean of rows that overflow, hold Inf or NaN", async () => {
    const g = new GraphBuilder();
    const ops = new GraphOps(g, { float32Sum: true });
    const x = g.input('x', 'float32', [8, 4]);
    g.output(ops.sumFloat32(x, [1]), 'sum');
    g.output(ops.meanFloat32(x, [1]), 'mean');
    // The same rows as columns: the reduced axis comes first, the kept one last.
    g.output(ops.sumFloat32(ops.transpose(x, [1, 0]), [0], true), 'columns');
    const out = await run(g, Float32Array.from(ROWS.flat()), [8, 4]);
    expect([...out.sum!]).toEqual(MXNET_SUM);
    expect([...out.mean!]).toEqual(MXNET_MEAN);
    expect([...out.columns!]).toEqual(MXNET_SUM);
  });

  it('sums a long row as accurately as float64 rounded to float32', async () => {
    const n = 39150;
    const values = Float32Array.from({ length: n }, (_, i) => 0.1 + ((i * 7919) % 1000) / 3000);
    const exact = values.reduce((s, v) => s + v, 0);
    const g = new GraphBuilder();
    const ops = new GraphOps(g, { float32Sum: true });
    const x = g.input('x', 'float32', [5, 145, 54]);
    g.output(ops.sumFloat32(x, [0, 1, 2]), 'sum');
    const out = await run(g, values, [5, 145, 54]);
    expect(out.sum![0]).toBe(Math.fround(exact));
  });

  it('is off without the option: one ReduceSum, as the WebGPU variant builds it', () => {
    const g = new GraphBuilder();
    const ops = new GraphOps(g);
    g.output(ops.sumFloat32(g.input('x', 'float32', [2, 3]), [1]), 'sum');
    expect(g.opTypes()).toEqual(['ReduceSum']);
  });

  it("leaves a loss call whose sum could overflow partway to a backend in MXNet's order, and keeps IEEE's Inf and NaN", async () => {
    // SoftmaxCE from logits with a dense label of ones is -sum(pred) per row.
    for (const variant of ['wasm', 'node'] as const) {
      const loss = await createOnnxBackend(variant).compile('SoftmaxCrossEntropyLoss', {
        from_logits: true,
        sparse_label: false,
      });
      const label = tensor(new Float32Array(32).fill(1), [8, 4]);
      // 3e38 and its kin: whether a partial sum overflows hangs on MXNet's order of float32
      // additions, which the spec's moderateMagnitudes leaves to backend-ts and backend-wasm.
      await expect(loss.forward({ pred: tensor(Float32Array.from(ROWS.flat()), [8, 4]), label })).rejects.toThrow(
        /beyond 2\^24/,
      );
      const rows = [
        [-Infinity, 1, 1, 1],
        [Infinity, -Infinity, 1, 1],
        [Number.NaN, 1, 1, 1],
        [1, 2, 3, 4],
      ];
      const out = await loss.forward({
        pred: tensor(Float32Array.from(rows.flat()), [4, 4]),
        label: tensor(new Float32Array(16).fill(1), [4, 4]),
      });
      expect([...out.loss.data]).toEqual([Infinity, Number.NaN, Number.NaN, -10]);
    }
  });
});
