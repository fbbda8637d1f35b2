/**
 * The graph builder emits ModelProtos that onnxruntime loads and runs as written:
 * inputs, initializers, attributes (ints, a subgraph), pruning, and output naming.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphOps, OPSET_VERSION, attr } from '../src/index.js';

async function run(graph: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(graph.toModel(), { executionProviders: ['wasm'] });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

const f32 = (data: number[], dims: number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(data), dims);

describe('GraphBuilder', () => {
  it('round-trips a small graph through onnxruntime', async () => {
    const g = new GraphBuilder('tiny');
    const x = g.input('x', 'float32', [2, 3]);
    const bias = g.constant([10, 20, 30], [3]);
    const [sum] = g.node('Add', [x, bias], [{ dtype: 'float32', shape: [2, 3] }]);
    const [rows] = g.node('ReduceSum', [sum, g.int64s([1])], [{ dtype: 'float32', shape: [2, 1] }], {
      keepdims: attr.int(1),
    });
    const [turned] = g.node('Transpose', [sum!], [{ dtype: 'float32', shape: [3, 2] }], { perm: attr.ints([1, 0]) });
    g.output(rows!, 'rows');
    g.output(turned!, 'turned');
    const out = await run(g, { x: f32([1, 2, 3, 4, 5, 6], [2, 3]) });
    expect([...out.rows!]).toEqual([66, 75]);
    expect([...out.turned!]).toEqual([11, 14, 22, 25, 33, 36]);
    expect(g.opTypes()).toEqual(['Add', 'ReduceSum', 'Transpose']);
    expect(OPSET_VERSION).toBe(13);
  });

  it('keeps NaN, infinities and -0 in float constants bit for bit', async () => {
    const g = new GraphBuilder();
    g.output(g.constant([Number.NaN, Infinity, -Infinity, -0, 1e-38], [5]), 'c');
    const c = (await run(g, {})).c!;
    expect(Number.isNaN(c[0])).toBe(true);
    expect([c[1], c[2]]).toEqual([Infinity, -Infinity]);
    expect(Object.is(c[3], -0)).toBe(true);
    expect(c[4]).toBe(Math.fround(1e-38));
  });

  it('lets one value be two outputs, and an input be an output', async () => {
    const g = new GraphBuilder();
    const ops = new GraphOps(g);
    const x = g.input('x', 'float32', [2]);
    const y = ops.mul(x, 3);
    g.output(y, 'first');
    g.output(y, 'second');
    g.output(x, 'echo');
    const out = await run(g, { x: f32([1, -2], [2]) });
    expect([...out.first!]).toEqual([3, -6]);
    expect([...out.second!]).toEqual([3, -6]);
    expect([...out.echo!]).toEqual([1, -2]);
  });

  it('leaves out nodes no output depends on', async () => {
    const g = new GraphBuilder();
    const ops = new GraphOps(g);
    const x = g.input('x', 'float32', [3]);
    ops.exp(ops.log(x)); // dead
    g.output(ops.neg(x), 'y');
    expect(g.nodeCount()).toBe(1);
    expect(g.opTypes()).toEqual(['Neg']);
    expect([...(await run(g, { x: f32([1, 2, 3], [3]) })).y!]).toEqual([-1, -2, -3]);
  });

  it('encodes a Scan whose body reads a value of the outer graph', async () => {
    const g = new GraphBuilder();
    const xs = g.input('xs', 'float32', [4, 2]);
    const scale = g.constant([1, 10], [2]);
    const body = g.subgraph('running_sum');
    const bodyOps = new GraphOps(body);
    const state = body.input(body.fresh('state'), 'float32', [2]);
    const x = body.input(body.fresh('x'), 'float32', [2]);
    const next = bodyOps.add(state, bodyOps.mul(x, scale));
    body.output(next, body.fresh('state_out'));
    body.output(next, body.fresh('scan_out'));
    const [final, all] = g.node(
      'Scan',
      [g.constant([0, 0], [2]), xs],
      [
        { dtype: 'float32', shape: [2] },
        { dtype: 'float32', shape: [4, 2] },
      ],
      {
        body: attr.graph(body),
        num_scan_inputs: attr.int(1),
      },
    );
    g.output(final!, 'final');
    g.output(all!, 'all');
    const out = await run(g, { xs: f32([1, 1, 2, 2, 3, 3, 4, 4], [4, 2]) });
    expect([...out.final!]).toEqual([10, 100]);
    expect([...out.all!]).toEqual([1, 10, 3, 30, 6, 60, 10, 100]);
    // The body's second output repeats the first, so it is the one Identity.
    expect(g.opTypes()).toEqual(['Add', 'Identity', 'Mul', 'Scan']);
  });

  it('refuses to define a name twice', () => {
    const g = new GraphBuilder();
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/defined twice/);
  });
});
