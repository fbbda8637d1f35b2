#!/usr/bin/env node
/**
 * Writes the ONNX model of every golden call case an exported model is held to
 * (export-parity.mjs: not those onnx-node refuses or sums in float64; exportOnnx with gradients) into a
 * folder, with manifest.json naming each model's case, inputs and outputs, for
 * conformance/generator/onnx_export_check.py to run in Python's onnxruntime. A model
 * with a symbolic batch is exported at a batch size other than the case's (the case's
 * plus one), so that running it on the case's inputs shows the batch is symbolic; the
 * manifest gives both sizes and the batch axis of every input and output. A model whose
 * batch stays static is exported at the case's shapes.
 * Usage: node packages/backend-onnx/scripts/export-golden-models.mjs OUT_DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { parseConfig, planCall } from '@gluon-loss/spec';
import { exportOnnx } from '../dist/index.js';
import { heldAgainstExport } from './export-parity.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: export-golden-models.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const manifest = [];
for (const c of readGoldenDir().cases) {
  if (c.kind !== 'call' || !heldAgainstExport(c)) continue;
  const shapes = {};
  for (const [name, v] of Object.entries(c.inputs)) {
    if (typeof v !== 'number')
      shapes[name] = { shape: v.shape, dtype: v.data instanceof Int32Array ? 'int32' : 'float32' };
  }
  const own = exportOnnx(c.loss, c.config, shapes, { gradients: true });
  let exported = own;
  let batch = { symbolic: false, reason: own.batch.symbolic ? '' : own.batch.reason };
  if (own.batch.symbolic) {
    // The case's inputs as the model reads them, with the batch one larger.
    const axes = own.batch.axes;
    const tensors = own.inputs.filter((f) => f.source === 'tensor');
    const carrier = tensors.find((f) => axes[f.name] !== undefined);
    const caseBatch = carrier.shape[axes[carrier.name]];
    const exportBatch = caseBatch + 1;
    const scaled = {};
    for (const f of tensors)
      scaled[f.name] = { shape: f.shape.map((d, i) => (i === axes[f.name] ? exportBatch : d)), dtype: f.dtype };
    exported = exportOnnx(c.loss, c.config, scaled, { gradients: true, symbolicBatch: true });
    batch = { symbolic: true, axes: exported.batch.axes, caseBatch, exportBatch };
  }
  const file = `${String(manifest.length).padStart(3, '0')}.onnx`;
  writeFileSync(join(out, file), exported.model);
  manifest.push({
    case: c.name,
    file,
    // The feeds at the case's own shapes. Those the spec's index rules compute on the host
    // (sparse labels, CTC label rows) carry their values for this case: a model needs
    // them fed, from `feed.prepare(plan)`.
    inputs: own.inputs.map((f) => {
      if (f.prepare === undefined) return f;
      const plan = planCall(c.loss, parseConfig(c.loss, c.config), c.inputs);
      // JSON has no -Infinity or NaN (the CTC tables mask with -Inf): spelled as golden files spell them.
      return { ...f, values: Array.from(f.prepare(plan), (v) => (Number.isFinite(v) ? v : String(v))) };
    }),
    lossOutput: exported.lossOutput,
    gradOutputs: exported.gradOutputs,
    batch,
  });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
console.log(`${manifest.length} models in ${out}`);
