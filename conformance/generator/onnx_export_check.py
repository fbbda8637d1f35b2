#!/usr/bin/env python3
"""The exported ONNX models (exportOnnx in packages/backend-onnx) in Python's onnxruntime.

Every golden call case is exported with gradients by
packages/backend-onnx/scripts/export-golden-models.mjs (after `pnpm build`); each model
must pass the ONNX checker (full check, with shape inference) and, run in onnxruntime's
CPU provider on the case's inputs and head gradient, match MXNet's loss and gradients
within the conformance tolerance (rtol 1e-4, atol 1e-5; NaN and infinities exactly;
gradient elements MXNet leaves undefined are 0, as every backend returns).

A model the export says has a symbolic batch must have `dim_param: "batch"` on exactly
the axes the manifest names (and fixed sizes everywhere else), and was exported at a
batch size other than the case's: its run at the case's batch size shows the batch is
symbolic. A static model has no dim_param and exactly the case's shapes.

    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install -r conformance/generator/requirements-onnx.txt
    .venv-onnx/bin/python conformance/generator/onnx_export_check.py
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / 'conformance' / 'golden'
RTOL, ATOL = 1e-4, 1e-5


def decode(t, undefined_as=None):
    values = [undefined_as if v is None else float(v) if isinstance(v, str) else v for v in t['data']]
    return np.asarray(values, dtype=np.int32 if t['dtype'] == 'int32' else np.float32).reshape(t['shape'])


def mismatch(got, want):
    got, want = np.asarray(got, dtype=np.float64).reshape(-1), np.asarray(want, dtype=np.float64).reshape(-1)
    if got.shape != want.shape:
        return f'{got.size} values, expected {want.size}'
    for i, (g, w) in enumerate(zip(got, want)):
        ok = np.isnan(g) if np.isnan(w) else (g == w) if np.isinf(w) else abs(g - w) <= ATOL + RTOL * abs(w)
        if not ok:
            return f'[{i}] {g} vs {w}'
    return None


def batch_dims(model):
    """Every graph input and output whose dimension is dim_param "batch": name -> axis; fails on any other dim_param."""
    axes = {}
    for v in list(model.graph.input) + list(model.graph.output):
        for axis, d in enumerate(v.type.tensor_type.shape.dim):
            if d.HasField('dim_param'):
                assert d.dim_param == 'batch', f'{v.name}: unexpected dim_param {d.dim_param!r}'
                assert v.name not in axes, f'{v.name}: two batch axes'
                axes[v.name] = axis
            else:
                assert d.HasField('dim_value'), f'{v.name}: axis {axis} has no size'
    return axes


def check_batch(entry, model, feeds):
    """The model's batch dims are what the export says; returns a problem or None."""
    batch = entry['batch']
    got = batch_dims(model)
    if not batch['symbolic']:
        if got:
            return f'static export ({batch["reason"]}) has symbolic dims {got}'
        for v in model.graph.input:
            dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
            if list(feeds[v.name].shape) != dims:
                return f'input {v.name} is {dims}, fed {list(feeds[v.name].shape)}'
        return None
    if got != batch['axes']:
        return f'symbolic dims {got}, the export says {batch["axes"]}'
    if batch['exportBatch'] == batch['caseBatch']:
        return f'exported at the case\'s own batch size {batch["caseBatch"]}'
    for name, axis in got.items():
        if name in feeds and feeds[name].shape[axis] != batch['caseBatch']:
            return f'{name} fed with batch {feeds[name].shape[axis]}, the case has {batch["caseBatch"]}'
    return None


def main() -> int:
    cases = {}
    for path in sorted(GOLDEN_DIR.glob('*.json')):
        for c in json.loads(path.read_text())['cases']:
            cases[c['name']] = c
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(['node', str(ROOT / 'packages/backend-onnx/scripts/export-golden-models.mjs'), out], check=True)
        manifest = json.loads((Path(out) / 'manifest.json').read_text())
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        failures = []
        for entry in manifest:
            c = cases[entry['case']]
            model_path = str(Path(out) / entry['file'])
            model = onnx.load(model_path)
            onnx.checker.check_model(model, full_check=True)
            session = ort.InferenceSession(model_path, options, providers=['CPUExecutionProvider'])
            feeds = {}
            for f in entry['inputs']:
                if 'values' in f:  # computed on the host by the spec's index rules (export-golden-models.mjs)
                    values = [float(v) if isinstance(v, str) else v for v in f['values']]  # '-Infinity', 'NaN'
                    feeds[f['name']] = np.asarray(values, dtype=np.int32 if f['dtype'] == 'int32' else np.float32).reshape(f['shape'])
                elif f['source'] == 'headGrad':
                    feeds[f['name']] = decode(c['headGrad'])
                elif f['source'] == 'scalar':
                    feeds[f['name']] = np.asarray(c['inputs'].get(f['name'], 1e-08), dtype=np.float32)  # default: PoissonNLLLoss's epsilon
                else:
                    feeds[f['name']] = decode(c['inputs'][f['name']]).reshape(f['shape'])
            problem = check_batch(entry, model, feeds)
            if problem:
                failures.append(f'{c["name"]} batch: {problem}')
            names = [entry['lossOutput']] + list(entry['gradOutputs'].values())
            results = dict(zip(names, session.run(names, feeds)))
            problem = mismatch(results[entry['lossOutput']], decode(c['expected']['loss']))
            if problem:
                failures.append(f'{c["name"]} loss: {problem}')
            for name, want in c['expected']['grads'].items():
                problem = mismatch(results[entry['gradOutputs'][name]], decode(want, undefined_as=0.0))
                if problem:
                    failures.append(f'{c["name"]} grad {name}: {problem}')
        symbolic = sum(1 for e in manifest if e['batch']['symbolic'])
        print(f'{len(manifest)} exported models ({symbolic} with a symbolic batch, each run at a batch size other '
              f'than it was exported at): ONNX checker passed, onnxruntime {ort.__version__} '
              f'(onnx {onnx.__version__}, numpy {np.__version__}): {len(manifest) - len({f.split(" ")[0] for f in failures})} match MXNet')
        for f in failures:
            print(f'FAIL {f}', file=sys.stderr)
        return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
