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
import { ConfigError, InputError, ShapeError, lossSpec, parseConfig, planCall, type Tensor } from '@gluon-loss/spec';
import { exportOnnx, type ExportInputShape } from '../src/index.js';

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

const calls = readGoldenDir().cases.filter((c): c is GoldenCall => c.kind === 'call');
const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

describe('exportOnnx', () => {
  it('exports every golden call case; the models match MXNet in onnxruntime-node', async () => {
    const failures: string[] = [];
    for (const c of calls) {
      const exported = exportOnnx(c.loss, c.config, shapesOf(c), { gradients: true });
      const session = await ort.InferenceSession.create(exported.model, options);
      try {
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
        const out = await session.run(feeds);
        const lossBad = mismatch(out[exported.lossOutput]!.data as Float32Array, c.expectedLoss);
        if (lossBad) failures.push(`${c.name} loss: ${lossBad}`);
        for (const [name, want] of Object.entries(c.expectedGrads)) {
          const got = out[exported.gradOutputs[name]!]?.data as Float32Array | undefined;
          const bad = got === undefined ? 'no output' : mismatch(got, want);
          if (bad) failures.push(`${c.name} grad ${name}: ${bad}`);
        }
      } finally {
        await session.release();
      }
    }
    expect(failures).toEqual([]);
    expect(calls.length).toBeGreaterThan(300);
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
