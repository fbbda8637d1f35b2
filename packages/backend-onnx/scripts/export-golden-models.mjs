#!/usr/bin/env node
/**
 * Writes the ONNX model of every golden call case (exportOnnx with gradients, from the
 * case's input shapes) into a folder, with manifest.json naming each model's case, inputs
 * and outputs, for conformance/generator/onnx_export_check.py to run in Python's
 * onnxruntime. Usage: node packages/backend-onnx/scripts/export-golden-models.mjs OUT_DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { parseConfig, planCall } from '@gluon-loss/spec';
import { exportOnnx } from '../dist/index.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: export-golden-models.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const manifest = [];
for (const c of readGoldenDir().cases) {
  if (c.kind !== 'call') continue;
  const shapes = {};
  for (const [name, v] of Object.entries(c.inputs)) {
    if (typeof v !== 'number')
      shapes[name] = { shape: v.shape, dtype: v.data instanceof Int32Array ? 'int32' : 'float32' };
  }
  const exported = exportOnnx(c.loss, c.config, shapes, { gradients: true });
  const file = `${String(manifest.length).padStart(3, '0')}.onnx`;
  writeFileSync(join(out, file), exported.model);
  manifest.push({
    case: c.name,
    file,
    // Feeds the spec's index rules compute on the host (sparse labels, CTC label rows) carry
    // their values for this case: a model needs them fed, from `feed.prepare(plan)`.
    inputs: exported.inputs.map((f) => {
      if (f.prepare === undefined) return f;
      const plan = planCall(c.loss, parseConfig(c.loss, c.config), c.inputs);
      return { ...f, values: Array.from(f.prepare(plan)) };
    }),
    lossOutput: exported.lossOutput,
    gradOutputs: exported.gradOutputs,
  });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
console.log(`${manifest.length} models in ${out}`);
