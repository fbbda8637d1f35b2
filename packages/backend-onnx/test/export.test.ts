/**
 * exportOnnx: every golden call case, exported with gradients from its input shapes
 * alone, run as a plain ONNX model in onnxruntime-node (no gluon-loss code in the loop),
 * matches MXNet's loss and gradients within the conformance tolerance (rtol 1e-4,
 * atol 1e-5, NaN and infinities exactly; CTC's undefined gradient elements are 0).
 * The same models run in Python's onnxruntime: conformance/generator/onnx_export_check.py.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readGoldenDir } from '@gluon-loss/golden/node';
import type { ExpectedTensor, GoldenCall } from '@gluon-loss/golden';
import {
  ConfigError,
  InputError,
  ShapeError,
  UnsupportedError,
  lossSpec,
  parseConfig,
  planCall,
  type Tensor,
} from '@gluon-loss/spec';
import onnxProto from 'onnx-proto';
import { heldAgainstExport } from '../scripts/export-parity.mjs';
import { exportOnnx, type ExportInputShape, type OnnxExport } from '../src/index.js';

const RTOL = 1e-4;
const ATOL = 1e-5;

function mismatch(got: ArrayLike<number>, want: ExpectedTensor): string | null {
  if (got.length !== want.data.length) return `${got.length} values, expected ${want.data.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want.undefinedMask?.[i] ? 0 : want.data[i]!;
    if (
      Number.isNaN(w)
        ? !Number.isNaN(g)
        : !Number.isFinite(w)
          ? g !== w
          : !(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))
    )
      return `[${i}] ${g} vs ${w}`;
  }
  return null;
}

export function shapesOf(c: GoldenCall): Record<string, ExportInputShape> {
  const out: Record<string, ExportInputShape> = {};
  for (const [name, v] of Object.entries(c.inputs)) {
    if (typeof v === 'number') continue;
    out[name] = { shape: v.shape, dtype: v.data instanceof Int32Array ? 'int32' : 'float32' };
  }
  return out;
}

// The golden calls an exported model is held to: not those onnx-node refuses, nor the sums
// it computes in float64 where a model sums in plain float32 (scripts/export-parity.mjs).
const calls = readGoldenDir()
  .cases.filter((c): c is GoldenCall => c.kind === 'call')
  .filter(heldAgainstExport);

/** The case's feeds for the model's inputs, shaped as in `exported` (exported at the case's own shapes). */
function feedsFor(c: GoldenCall, exported: OnnxExport): Record<string, ort.Tensor> {
  const declared = lossSpec(c.loss).inputs(parseConfig(c.loss, c.config) as never);
  const feeds: Record<string, ort.Tensor> = {};
  const callPlan = planCall(c.loss, parseConfig(c.loss, c.config), c.inputs);
  for (const f of exported.inputs) {
    // MXNet's index rules (sparse labels, CTC label rows) are computed on the host.
    if (f.prepare !== undefined) {
      const values = f.prepare(callPlan);
      feeds[f.name] =
        f.dtype === 'int32'
          ? new ort.Tensor('int32', Int32Array.from(values), [...f.shape])
          : new ort.Tensor('float32', Float32Array.from(values), [...f.shape]);
    } else if (f.source === 'headGrad') feeds[f.name] = new ort.Tensor('float32', c.headGrad.data, [...f.shape]);
    else if (f.source === 'scalar') {
      const given = c.inputs[f.name];
      const value = typeof given === 'number' ? given : declared.find((d) => d.name === f.name)!.defaultValue!;
      feeds[f.name] = new ort.Tensor('float32', Float32Array.of(value), []);
    } else {
      const t = c.inputs[f.name] as Tensor;
      feeds[f.name] =
        t.data instanceof Int32Array
          ? new ort.Tensor('int32', t.data, [...f.shape])
          : new ort.Tensor('float32', t.data, [...f.shape]);
    }
  }
  return feeds;
}

/** The loss's and gradients' mismatches against MXNet's. */
async function compare(
  c: GoldenCall,
  session: ort.InferenceSession,
  exported: OnnxExport,
  feeds: Record<string, ort.Tensor>,
): Promise<string[]> {
  const failures: string[] = [];
  const out = await session.run(feeds);
  const lossBad = mismatch(out[exported.lossOutput]!.data as Float32Array, c.expectedLoss);
  if (lossBad) failures.push(`${c.name} loss: ${lossBad}`);
  for (const [name, want] of Object.entries(c.expectedGrads)) {
    const got = out[exported.gradOutputs[name]!]?.data as Float32Array | undefined;
    const bad = got === undefined ? 'no output' : mismatch(got, want);
    if (bad) failures.push(`${c.name} grad ${name}: ${bad}`);
  }
  return failures;
}
type Typed = Float32Array | Int32Array | Float64Array | Uint8Array;

/** `data` (of `shape`) beside itself along `axis`. */
function twice<T extends Typed>(data: T, shape: readonly number[], axis: number): T {
  const inner = shape.slice(axis).reduce((p, d) => p * d, 1);
  const out = new (data.constructor as new (n: number) => T)(data.length * 2);
  for (let o = 0; o < data.length / inner; o++) {
    const chunk = data.subarray(o * inner, (o + 1) * inner);
    out.set(chunk, 2 * o * inner);
    out.set(chunk, (2 * o + 1) * inner);
  }
  return out;
}

const doubled = (shape: readonly number[], axis: number): number[] => shape.map((d, i) => (i === axis ? 2 * d : d));

/**
 * The case with every sample twice (the batch beside itself), when its values follow from
 * MXNet's: every output and gradient is per sample (no mean over everything, no softmax
 * along the batch axis, no gradient of an input that broadcasts over the batch), so MXNet's loss and gradients of the
 * doubled batch are its own, each twice. `own` is the case's export (its view shapes and
 * batch axes); the doubled case's tensors are given in those view shapes.
 */
function besideItself(c: GoldenCall, own: OnnxExport): GoldenCall | undefined {
  if (!own.batch.symbolic) return undefined;
  const axes = own.batch.axes;
  if (c.loss === 'PoissonNLLLoss' || axes[own.lossOutput] === undefined) return undefined;
  if (Object.keys(c.expectedGrads).some((name) => axes[name] === undefined)) return undefined;
  const view = (name: string): readonly number[] => own.inputs.find((f) => f.name === name)!.shape;
  // A softmax (or SoftmaxCE's pick) along the batch axis couples the samples.
  const softmaxAxis = typeof c.config.axis === 'number' ? c.config.axis : -1;
  const coupled =
    (c.loss === 'KLDivLoss' && c.config.from_logits !== true) || c.loss.startsWith('SoftmaxC')
      ? (softmaxAxis + view('pred').length) % view('pred').length === axes.pred
      : false;
  if (coupled) return undefined;
  const inputs: Record<string, Tensor | number> = {};
  for (const [name, v] of Object.entries(c.inputs)) {
    if (typeof v === 'number') inputs[name] = v;
    else if (axes[name] === undefined) inputs[name] = { data: v.data, shape: [...view(name)] } as Tensor;
    else
      inputs[name] = {
        data: twice(v.data, view(name), axes[name]!),
        shape: doubled(view(name), axes[name]!),
      } as Tensor;
  }
  const expected = (t: ExpectedTensor, shape: readonly number[], axis: number): ExpectedTensor => ({
    shape: doubled(shape, axis),
    data: twice(t.data, shape, axis),
    ...(t.undefinedMask ? { undefinedMask: twice(t.undefinedMask, shape, axis) } : {}),
  });
  const headAxis = axes.head_grad!;
  return {
    ...c,
    name: `${c.name} (beside itself)`,
    inputs,
    headGrad: { data: twice(c.headGrad.data, c.headGrad.shape, headAxis), shape: doubled(c.headGrad.shape, headAxis) },
    expectedLoss: expected(c.expectedLoss, c.expectedLoss.shape, axes[own.lossOutput]!),
    expectedGrads: Object.fromEntries(
      Object.entries(c.expectedGrads).map(([name, g]) => [name, expected(g, view(name), axes[name]!)]),
    ),
  };
}

/** The model's inputs and outputs whose dimension is `dim_param: "batch"`: name -> axis. */
function symbolicDims(model: Uint8Array): Record<string, number> {
  const graph = onnxProto.onnx.ModelProto.decode(model).graph!;
  const out: Record<string, number> = {};
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    (v.type?.tensorType?.shape?.dim ?? []).forEach((d, axis) => {
      if (d.dimParam === 'batch') out[v.name!] = axis;
      else expect(d.dimParam ?? '').toBe('');
    });
  }
  return out;
}

const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

describe('exportOnnx', () => {
  it('exports every golden call case; the models match MXNet in onnxruntime-node', async () => {
    const failures: string[] = [];
    for (const c of calls) {
      const exported = exportOnnx(c.loss, c.config, shapesOf(c), { gradients: true });
      const session = await ort.InferenceSession.create(exported.model, options);
      try {
        const feeds = feedsFor(c, exported);
        failures.push(...(await compare(c, session, exported, feeds)));
      } finally {
        await session.release();
      }
    }
    expect(failures).toEqual([]);
    expect(calls.length).toBeGreaterThan(300);
  });

  it('gives every golden case a symbolic batch but the documented ones', () => {
    // Static by design: SDMLLoss (batch x batch constants); an input given flattened (its
    // batch merged with other axes); a batch axis only sample_weight or pos_weight has
    // (PoissonNLL's mean over everything has none to keep); CosineEmbedding above 2-D
    // (N*... rows); a 1-D SoftmaxCE pred (one sample, no batch axis).
    const documented =
      /^SDMLLoss\/|-reshaped$|^(?!PoissonNLLLoss).*\/(sample|pos)-weight-expands-loss$|^CosineEmbeddingLoss\/(3d|4d)$|^SoftmaxCrossEntropyLoss\/1d$/;
    const unexpected: string[] = [];
    let symbolic = 0;
    for (const c of calls) {
      const { batch } = exportOnnx(c.loss, c.config, shapesOf(c), { gradients: true });
      if (batch.symbolic) symbolic++;
      if (batch.symbolic === documented.test(c.name)) unexpected.push(`${c.name}: ${JSON.stringify(batch)}`);
    }
    expect(unexpected).toEqual([]);
    expect(symbolic).toBeGreaterThan(350);
  });

  it('runs every symbolic golden case on a model exported at other batch sizes; it matches MXNet', async () => {
    // Cases whose shapes differ only in the batch share one model, exported at a batch
    // size none of them has; each runs at its own batch size against MXNet's values.
    const groups = new Map<string, { cases: GoldenCall[]; own: OnnxExport[]; sizes: Set<number> }>();
    for (const c of calls) {
      const own = exportOnnx(c.loss, c.config, shapesOf(c), { gradients: true });
      if (!own.batch.symbolic) continue;
      const axes = own.batch.axes;
      const tensors = own.inputs.filter((f) => f.source === 'tensor');
      const key = JSON.stringify([
        c.loss,
        c.config,
        tensors.map((f) => [f.name, f.dtype, f.shape.map((d, i) => (i === axes[f.name] ? 'batch' : d))]),
      ]);
      const group = groups.get(key) ?? { cases: [], own: [], sizes: new Set<number>() };
      group.cases.push(c);
      group.own.push(own);
      const carrier = tensors.find((f) => axes[f.name] !== undefined)!;
      group.sizes.add(carrier.shape[axes[carrier.name]!]!);
      groups.set(key, group);
    }
    const failures: string[] = [];
    const runAtTwoSizes = new Set<string>();
    const ranTwice = new Set<string>();
    let doubledRuns = 0;
    for (const { cases, own, sizes } of groups.values()) {
      const exportBatch = Math.max(...sizes) + 1;
      const first = own[0]!;
      if (!first.batch.symbolic) throw new Error('unreachable');
      const axes = first.batch.axes;
      // The view shapes of the first case, with the batch set to exportBatch.
      const shapes: Record<string, ExportInputShape> = {};
      for (const f of first.inputs.filter((x) => x.source === 'tensor'))
        shapes[f.name] = { shape: f.shape.map((d, i) => (i === axes[f.name] ? exportBatch : d)), dtype: f.dtype };
      const exported = exportOnnx(cases[0]!.loss, cases[0]!.config, shapes, { gradients: true, symbolicBatch: true });
      expect(exported.batch).toEqual(first.batch);
      expect(symbolicDims(exported.model)).toEqual(first.batch.symbolic ? axes : {});
      const session = await ort.InferenceSession.create(exported.model, options);
      try {
        for (const [k, c] of cases.entries()) {
          failures.push(...(await compare(c, session, exported, feedsFor(c, own[k]!))));
          // The same model at twice the case's batch size, against MXNet's values twice.
          const two = besideItself(c, own[k]!);
          if (two === undefined) continue;
          const ownTwo = exportOnnx(two.loss, two.config, shapesOf(two), { gradients: true });
          failures.push(...(await compare(two, session, exported, feedsFor(two, ownTwo))));
          ranTwice.add(c.loss);
          doubledRuns++;
        }
      } finally {
        await session.release();
      }
      if (sizes.size >= 2) runAtTwoSizes.add(cases[0]!.loss);
    }
    expect(failures).toEqual([]);
    expect(doubledRuns).toBeGreaterThan(300);
    // One exported model ran at two or more golden batch sizes (none its own) for these
    // losses; TripletLoss's goldens have one batch size per signature.
    const losses = [
      'CTCLoss',
      'CosineEmbeddingLoss',
      'HingeLoss',
      'HuberLoss',
      'KLDivLoss',
      'L1Loss',
      'L2Loss',
      'LogisticLoss',
      'PoissonNLLLoss',
      'SigmoidBinaryCrossEntropyLoss',
      'SoftmaxCrossEntropyLoss',
      'SquaredHingeLoss',
    ];
    expect([...runAtTwoSizes].sort()).toEqual(losses.sort());
    // Every per-sample loss (all but PoissonNLL's mean over everything) also ran at twice
    // a case's batch size: TripletLoss included.
    expect([...ranTwice].sort()).toEqual(
      [...losses.filter((l) => l !== 'PoissonNLLLoss'), 'SoftmaxCELoss', 'SigmoidBCELoss', 'TripletLoss'].sort(),
    );
  });

  it('gives the unrolled CTC graph (the WebGPU layout, guarded Log) a symbolic batch too', async () => {
    // Unrolled over T, with its slice bounds and step constants: the probes must avoid them.
    const ctc = calls.filter((c) => c.loss === 'CTCLoss' && 'pred_lengths' in c.inputs);
    const failures: string[] = [];
    const options2 = { gradients: true, ctcRecursion: 'unrolled', guardLog: true } as const;
    for (const c of ctc) {
      const own = exportOnnx(c.loss, c.config, shapesOf(c), options2);
      if (!own.batch.symbolic) throw new Error(`${c.name}: ${own.batch.reason}`);
      const axes = own.batch.axes;
      const shapes: Record<string, ExportInputShape> = {};
      for (const f of own.inputs.filter((x) => x.source === 'tensor'))
        shapes[f.name] = { shape: f.shape.map((d, i) => (i === axes[f.name] ? d + 1 : d)), dtype: f.dtype };
      const exported = exportOnnx(c.loss, c.config, shapes, { ...options2, symbolicBatch: true });
      const session = await ort.InferenceSession.create(exported.model, options);
      try {
        failures.push(...(await compare(c, session, exported, feedsFor(c, own))));
      } finally {
        await session.release();
      }
    }
    expect(failures).toEqual([]);
    expect(ctc.length).toBeGreaterThan(5);
  });

  it('symbolicBatch: false keeps the given shapes; true insists', () => {
    const fixed = exportOnnx('L2Loss', {}, { pred: [4, 3], label: [4, 3] }, { symbolicBatch: false });
    expect(fixed.batch).toEqual({ symbolic: false, reason: 'symbolicBatch: false' });
    expect(symbolicDims(fixed.model)).toEqual({});
    const sdml = exportOnnx('SDMLLoss', {}, { x1: [4, 3], x2: [4, 3] });
    expect(sdml.batch.symbolic).toBe(false);
    expect(symbolicDims(sdml.model)).toEqual({});
    expect(() => exportOnnx('SDMLLoss', {}, { x1: [4, 3], x2: [4, 3] }, { symbolicBatch: true })).toThrow(
      UnsupportedError,
    );
  });

  it('exports the forward alone without head_grad or gradient outputs', () => {
    const exported = exportOnnx('SoftmaxCELoss', {}, { pred: [4, 3], label: [4] });
    expect(exported.inputs.map((i) => i.name)).toEqual(['pred', 'label']);
    expect(exported.gradOutputs).toEqual({});
    const withGrads = exportOnnx('SoftmaxCELoss', {}, { pred: [4, 3], label: [4] }, { gradients: true });
    expect(withGrads.inputs.map((i) => i.name)).toEqual(['pred', 'label', 'head_grad']);
    expect(Object.keys(withGrads.gradOutputs)).toEqual(['pred']);
  });

  it('rejects bad shapes and configs with the spec’s typed errors', () => {
    expect(() => exportOnnx('L2Loss', {}, { pred: [2, 3], label: [4] })).toThrow(ShapeError);
    expect(() => exportOnnx('L2Loss', {}, { pred: [0, 3], label: [3] })).toThrow(InputError);
    expect(() => exportOnnx('PoissonNLLLoss', {}, { pred: [2], target: [2], epsilon: [1] })).toThrow(InputError);
    expect(() => exportOnnx('HuberLoss', { rho: 'one' }, { pred: [2], label: [2] })).toThrow(ConfigError);
  });
});
