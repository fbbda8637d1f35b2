import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultGoldenDir } from '@gluon-loss/golden/node';
import type { GoldenCaseJson, GoldenFileJson, GoldenTensorJson } from '@gluon-loss/golden';
import { runConformance } from '@gluon-loss/conformance';
import { loadBackendSpecifier } from '@gluon-loss/conformance/node';
import { Oracle, goldenRecords, drawCase, requestOf, runDifferential, suiteOf } from '../src/index.js';
import { fromWire, toWire } from '../src/oracle.js';

// The oracle and the golden generator share generate.run_mxnet: asked a golden case's
// inputs, the oracle must give back exactly what the committed golden file holds.
describe("MXNet's oracle", () => {
  const oracle = new Oracle();
  afterAll(() => oracle.close());

  for (const [loss, index] of [
    ['L2Loss', 0],
    ['CTCLoss', 8],
    ['CTCLoss', 17], // cannot-fit: gradient elements MXNet leaves undefined (null), masked on the pipe
    ['PoissonNLLLoss', 0],
    ['SoftmaxCrossEntropyLoss', 3],
  ] as const) {
    it(`answers ${loss}'s golden case ${index} as the golden file records it`, async () => {
      const file = JSON.parse(readFileSync(join(defaultGoldenDir, `${loss}.json`), 'utf8')) as GoldenFileJson;
      const golden = file.cases[index]!;
      const answer = await oracle.ask({
        name: golden.name,
        loss: golden.loss,
        description: golden.description,
        config: golden.config,
        inputs: golden.inputs,
        headGrad: golden.headGrad,
      });
      expect(answer.error).toEqual(golden.error);
      // The oracle writes each float32 exactly (float64's repr), the goldens in its shortest
      // form: the same float32 either way.
      const f32 = (t: GoldenTensorJson | undefined) =>
        t && { ...t, data: t.data.map((v) => (typeof v === 'number' ? Math.fround(v) : v)) };
      expect(f32(answer.headGrad)).toEqual(f32(golden.headGrad));
      expect(f32(answer.expected?.loss)).toEqual(f32(golden.expected?.loss));
      const grads = (e: GoldenCaseJson['expected']) =>
        Object.fromEntries(Object.entries(e?.grads ?? {}).map(([k, t]) => [k, f32(t)]));
      expect(grads(answer.expected)).toEqual(grads(golden.expected));
    });
  }

  it('carries tensors over the pipe as exact bytes: -0, NaN, infinities, int32 labels, undefined elements', () => {
    const request = {
      inputs: {
        pred: { dtype: 'float32', shape: [5], data: [-0, 'NaN', 'Infinity', '-Infinity', 0.1] },
        label: { dtype: 'int32', shape: [2], data: [-2147483648, 7] },
        margin: 1.5,
      },
    };
    const wire = toWire(request) as { inputs: { pred: { data: { b64: string } }; label: { data: { b64: string } } } };
    const bytesOf = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    const pred = new Float32Array(bytesOf(wire.inputs.pred.data.b64));
    expect(Array.from(pred)).toEqual([-0, NaN, Infinity, -Infinity, Math.fround(0.1)]);
    expect(Object.is(pred[0], -0)).toBe(true);
    const label = new Int32Array(bytesOf(wire.inputs.label.data.b64));
    expect(Array.from(label)).toEqual([-2147483648, 7]);
    // What oracle.py sends: float32 bytes, and a byte per element where MXNet leaves it undefined.
    const bytes = Buffer.from(Float32Array.from([-0, NaN, 3, -Infinity]).buffer);
    const back = fromWire({
      loss: {
        dtype: 'float32',
        shape: [2, 2],
        data: { b64: bytes.toString('base64'), undefined: Buffer.from([0, 0, 1, 0]).toString('base64') },
      },
    }) as { loss: GoldenTensorJson };
    expect(back.loss.shape).toEqual([2, 2]);
    expect(back.loss.data).toEqual([-0, 'NaN', null, '-Infinity']);
    expect(Object.is(back.loss.data[0], -0)).toBe(true);
  });

  it('records a rejection with its kind, and keeps -0 and special values', async () => {
    const [bad] = await goldenRecords(oracle, [
      {
        ...drawCase(1, 'L2Loss', 0),
        name: 'L2Loss/x',
        inputs: { pred: { data: new Float32Array(3), shape: [3] }, label: { data: new Float32Array(2), shape: [2] } },
      },
    ]);
    expect(bad?.error?.kind).toBe('input');
    const c = drawCase(1, 'L1Loss', 0);
    const request = requestOf({
      ...c,
      inputs: {
        pred: { data: Float32Array.from([-0, NaN, Infinity]), shape: [3] },
        label: { data: Float32Array.from([0, 0, 0]), shape: [3] },
      },
      draw: { ...c.draw, config: {} },
    });
    const answer = await oracle.ask(request);
    // A 1-D pred: one loss per element, |-0 - 0| = +0, NaN and Inf kept.
    expect(answer.expected?.loss.data).toEqual([0, 'NaN', 'Infinity']);
    expect(Object.is(answer.expected?.loss.data[0], 0)).toBe(true);
  });

  it('asks MXNet and runs the backends a batch at a time, so a long run holds one batch of records', async () => {
    const ts = await loadBackendSpecifier('ts');
    const batches: number[] = [];
    const report = await runDifferential({
      seed: 7,
      count: 7,
      losses: ['L1Loss'],
      backends: [],
      oracle,
      batchSize: 3,
      execute: (records) => {
        batches.push(records.length);
        return runConformance({ backends: [ts], suite: suiteOf(records) });
      },
    });
    expect(batches).toEqual([3, 3, 1]);
    expect(report.caseNames).toHaveLength(7);
    expect(report.perLoss.L1Loss?.ts?.pass).toBe(7);
  });
});
