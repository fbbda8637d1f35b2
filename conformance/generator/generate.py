#!/usr/bin/env python3
"""Generates conformance/golden/<Loss>.json from MXNet 1.9.1 itself.

Each case of cases.py is built with the real `mxnet.gluon.loss` class, called
imperatively on NDArrays in MXNet's classic (not `npx.set_np`) mode, and differentiated
with `autograd` against a random head gradient (or, for the cases marked `headGradDefault`,
with `backward()` and no head gradient, which MXNet fills with ones); each call case also
records the same computation in float64 (`expected.ref64`, from reference64.py). MXNet's
engine runs single-threaded
(NaiveEngine, one OpenMP thread) and oneDNN is held to its AVX2 kernels, so every run on
an AVX2 host writes the same bytes. A host whose CPU lacks AVX2 would round the last bit
of some results differently, so `--check` holds the inputs, head gradients and structure
to exact equality, MXNet's outputs to a few float32 ulps (CHECK_ULPS) and the float64
references to a few thousand float64 ulps (REF64_CHECK_ULPS).

    python3 conformance/generator/generate.py            # rewrite the golden files
    python3 conformance/generator/generate.py --check    # exit 1 if they differ from MXNet's
    python3 conformance/generator/generate.py --loss CTCLoss

The format is documented in conformance/README.md.
"""
import os

# Determinism first: these must be set before mxnet is imported.
os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'
os.environ['OMP_NUM_THREADS'] = '1'
os.environ['MXNET_CPU_WORKER_NTHREADS'] = '1'
# oneDNN (softmax, log_softmax, dot) picks its kernels by the CPU it finds at run time, so
# hosts with different vector units round the last bit differently. Capping it at AVX2
# makes every x86-64 host of the last decade write the same bytes.
os.environ['DNNL_MAX_CPU_ISA'] = 'AVX2'

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import INPUTS, LOSSES, Case, Rand, differentiable  # noqa: E402
from reference64 import positional_args, reference64, restated_classes  # noqa: E402

# How far --check lets a recorded output move between CPUs, in float32 ulps of the
# tensor's largest magnitude (an element that cancels towards zero carries the rounding
# of the large terms it came from). This is far inside the conformance tolerance (rtol
# 1e-4), so it cannot hide a change of behaviour.
CHECK_ULPS = 8
# The same for the float64 reference (expected.ref64), in float64 ulps: 2**12 of them is
# 1e-12 of the tensor's largest magnitude, room for another libm or summation order over
# CTC's recursions, and still a hundred thousand times inside one float32 ulp.
REF64_CHECK_ULPS = 4096

FORMAT = 'gluon-loss-golden'
FORMAT_VERSION = 2
GOLDEN_DIR = Path(__file__).resolve().parent.parent / 'golden'


class GeneratorError(Exception):
    pass


# --------------------------------------------------------------------------------- encoding

def number_token(x, dtype) -> str:
    """The shortest decimal that reads back as exactly this float32 (numpy's repr of a
    float32 is the shortest round-trip form) or float64 (Python's repr), or a string for
    what JSON cannot hold."""
    if dtype == 'int32':
        return str(int(x))
    v = np.float64(x) if dtype == 'float64' else np.float32(x)
    if np.isnan(v):
        return '"NaN"'
    if np.isinf(v):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    return repr(float(v)) if dtype == 'float64' else str(v)


def tensor_json(array, dtype='float32', undefined=None):
    """A tensor as {dtype, shape, data}; `undefined` marks elements written as null."""
    a = np.asarray(array)
    flat = a.reshape(-1)
    mask = None if undefined is None else np.asarray(undefined).reshape(-1)
    tokens = ['null' if mask is not None and mask[i] else number_token(v, dtype) for i, v in enumerate(flat)]
    return {'dtype': dtype, 'shape': list(a.shape), 'data': RawArray(tokens)}


class RawArray:
    """A list of already-encoded JSON tokens, emitted on one line."""

    def __init__(self, tokens):
        self.tokens = tokens


def undefined_elements(data) -> np.ndarray:
    """Which elements of an encoded tensor's data are undefined (null): tensor_json's
    tokens, plain JSON values, or an encoder's own form with an `undefined_mask()`."""
    if hasattr(data, 'undefined_mask'):
        return data.undefined_mask()
    tokens = data.tokens if isinstance(data, RawArray) else data
    return np.array([t in ('null', None) for t in tokens], dtype=bool)


def dumps(obj) -> str:
    raws = []

    def walk(o):
        if isinstance(o, RawArray):
            raws.append(o)
            return f'@@RAW{len(raws) - 1}@@'
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, list):
            return [walk(v) for v in o]
        return o

    text = json.dumps(walk(obj), indent=1, ensure_ascii=False, allow_nan=False)
    for i, r in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', '[' + ', '.join(r.tokens) + ']', 1)
    return text + '\n'


# --------------------------------------------------------------------------------- checking

def output_ulps(old: dict, new: dict, where: str) -> float:
    """The largest distance between two recorded output tensors, in ulps (of their dtype,
    float32 or float64) of their largest magnitude; raises ValueError when they differ in
    anything but rounding (dtype, shape, NaN, infinity, undefined)."""
    if old['dtype'] != new['dtype'] or old['shape'] != new['shape'] or len(old['data']) != len(new['data']):
        raise ValueError(f'{where}: dtype or shape differs')
    diffs, magnitude = [], 0.0
    for i, (a, b) in enumerate(zip(old['data'], new['data'])):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            diffs.append(abs(a - b))
            magnitude = max(magnitude, abs(a), abs(b))
        elif a != b:  # null (undefined), "NaN", "Infinity" must match exactly
            raise ValueError(f'{where}[{i}]: {a!r} vs {b!r}')
    worst = max(diffs, default=0.0)
    if worst == 0.0:
        return 0.0
    return worst / float(np.spacing(np.float64(magnitude) if new['dtype'] == 'float64' else np.float32(magnitude)))


def compare_goldens(old_text: str, new_text: str) -> tuple[str | None, float]:
    """(None, worst ulps) when new_text is old_text up to CHECK_ULPS of rounding in
    MXNet's outputs, else (the first difference, worst ulps)."""
    old, new = json.loads(old_text), json.loads(new_text)
    old_cases, new_cases = old.pop('cases'), new.pop('cases')
    if old != new:
        return 'file header differs', 0.0
    if [c['name'] for c in old_cases] != [c['name'] for c in new_cases]:
        return 'case list differs', 0.0
    worst = 0.0
    for oc, nc in zip(old_cases, new_cases):
        oe, ne = oc.pop('expected', None), nc.pop('expected', None)
        if oc != nc:
            return f'{oc["name"]}: inputs, config, head gradient or error differ', worst
        if (oe is None) != (ne is None):
            return f'{oc["name"]}: one run has expected values, the other none', worst
        if oe is None:
            continue
        if set(oe['grads']) != set(ne['grads']):
            return f'{oc["name"]}: differentiated inputs differ', worst
        ref_grads = [None if 'ref64' not in e else set(e['ref64']['grads']) for e in (oe, ne)]
        if ref_grads[0] != ref_grads[1] or ref_grads[1] not in (None, set(ne['grads'])):
            return f'{oc["name"]}: float64 references differ in what they hold', worst
        pairs = [('loss', oe['loss'], ne['loss'])] + [(f'grads.{k}', oe['grads'][k], ne['grads'][k]) for k in oe['grads']]
        for label, a, b in pairs:
            try:
                worst = max(worst, output_ulps(a, b, f'{oc["name"]} {label}'))
            except ValueError as e:
                return str(e), worst
            if worst > CHECK_ULPS:
                return f'{oc["name"]} {label}: {worst:.0f} ulps apart (at most {CHECK_ULPS})', worst
        if 'ref64' not in oe:
            continue
        ro, rn = oe['ref64'], ne['ref64']
        pairs = [('ref64.loss', ro['loss'], rn['loss'])] + [(f'ref64.grads.{k}', ro['grads'][k], rn['grads'][k])
                                                              for k in ro['grads']]
        for label, a, b in pairs:
            try:
                ulps = output_ulps(a, b, f'{oc["name"]} {label}')
            except ValueError as e:
                return str(e), worst
            if ulps > REF64_CHECK_ULPS:
                return f'{oc["name"]} {label}: {ulps:.0f} float64 ulps apart (at most {REF64_CHECK_ULPS})', worst
    return None, worst


# --------------------------------------------------------------------------------- running

def short_error(e: BaseException) -> str:
    """MXNet's message without its C++ traceback: the 'Check failed' line, or Python's."""
    text = str(e)
    for line in text.splitlines():
        if 'Check failed' in line:
            return f'{type(e).__name__}: ' + line.split('Check failed:', 1)[1].strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith('Traceback'):  # MXNet's C++ traceback: its last line says why
        lines = [ln for ln in lines if ln.startswith('MXNetError:')][-1:] or lines
    first = lines[0] if lines else ''
    prefix = f'{type(e).__name__}: '
    while first.startswith(prefix):  # MXNet repeats its class name in the message
        first = first[len(prefix):]
    return f'{prefix}{first}'.rstrip(': ')


def ctc_undefined_mask(case_inputs, config, pred_shape):
    """MXNet never writes the gradient of a sample whose alignment cannot fit (it returns
    loss 0 there), so those gradient rows hold whatever memory held: mark them undefined."""
    layout = config.get('layout', 'NTC')
    label_layout = config.get('label_layout', 'NT')
    pred_shape = tuple(pred_shape)
    n, t = (pred_shape[0], pred_shape[1]) if layout == 'NTC' else (pred_shape[1], pred_shape[0])
    # MXNet reads labels and lengths rounded half away from zero (packages/spec rules/ctc-labels.ts).
    def rounded(x):
        x = np.asarray(x, dtype=np.float64)
        return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)
    label = rounded(case_inputs['label'])
    if label_layout == 'TN':
        label = label.T
    mask = np.zeros((n, t, pred_shape[2]), dtype=bool)
    for i in range(n):
        row = list(label[i])
        if 'label_lengths' in case_inputs:
            row = row[:int(rounded(case_inputs['label_lengths'])[i])]
        elif -1 in row:
            row = row[:row.index(-1)]
        repeats = sum(1 for a, b in zip(row, row[1:]) if a == b)
        steps = int(rounded(case_inputs['pred_lengths'])[i]) if 'pred_lengths' in case_inputs else t
        if len(row) + repeats > steps:
            mask[i] = True
    return mask if layout == 'NTC' else mask.transpose(1, 0, 2)


def run_case(loss_name: str, case: Case) -> dict:
    full_name = f'{loss_name}/{case.name}'
    rand = Rand(full_name)
    inputs = case.build(rand)
    order = INPUTS[loss_name]
    unknown = [k for k in inputs if k not in order and not case.error]
    if unknown:
        raise GeneratorError(f'{full_name}: inputs {unknown} are not inputs of {loss_name}')
    for name in case.int32:
        if not np.all(np.asarray(inputs[name]) == np.round(np.asarray(inputs[name]))):
            raise GeneratorError(f'{full_name}: {name} is recorded as int32 but holds non-integers')

    record = {
        'name': full_name,
        'loss': case.alias or loss_name,
        'description': case.description,
        'config': case.config,
        'inputs': {k: (float(v) if np.isscalar(v) else tensor_json(v, 'int32' if k in case.int32 else 'float32'))
                   for k, v in inputs.items()},
    }
    return run_mxnet(loss_name, record, inputs, rand, expect=case.error or 'result', check=case.check,
                     out_of_place_grad=case.out_of_place_grad, default_head_grad=case.default_head_grad)


ALIASES = {'SigmoidBCELoss': 'SigmoidBinaryCrossEntropyLoss', 'SoftmaxCELoss': 'SoftmaxCrossEntropyLoss'}


def run_mxnet(loss_name: str, record: dict, inputs: dict, rand: Rand, expect=None, check=None,
              out_of_place_grad=False, head=None, encode=None, default_head_grad=False) -> dict:
    """Runs one call of `record['loss']` (the name the block is built by) through MXNet and
    completes `record`: `expected` (the loss and the gradient of every differentiable input
    for `head`, or a head gradient drawn from `rand`) and `headGrad`, or `error` when MXNet raises.
    `encode` writes a tensor (default tensor_json, the goldens' shortest-form numbers).
    `expect` is what MXNet must do: 'result', or reject the call ('config' or 'input'); None
    (the differential tester's oracle) records whatever MXNet does."""
    encode = encode or tensor_json
    full_name = record['name']
    order = INPUTS[loss_name]
    config = record['config']
    arrays = {k: nd.array(v, dtype='float32') for k, v in inputs.items() if not np.isscalar(v)}
    grads_of = [k for k in arrays if differentiable(loss_name, config, k)]
    stage = 'config'
    try:
        block = getattr(gluon.loss, record['loss'])(**config)
        stage = 'input'
        if out_of_place_grad:
            real_forward = block(*positional_args(order, inputs, arrays)).asnumpy()
            block = restated_classes()[loss_name](**config)
        for k in grads_of:
            arrays[k].attach_grad()
        with autograd.record():
            out = block(*positional_args(order, inputs, arrays))
        out_np = out.asnumpy()
        if out_of_place_grad and not np.array_equal(out_np, real_forward, equal_nan=True):
            raise GeneratorError(f'{full_name}: the out-of-place restatement differs from MXNet: {out_np} vs {real_forward}')
        if default_head_grad:
            head = np.ones(out_np.shape, dtype=np.float32)  # what MXNet's backward() uses
            out.backward()
        else:
            if head is None or tuple(np.shape(head)) != out_np.shape:
                head = rand.normal(out_np.shape).astype(np.float32)
            out.backward(nd.array(head))
        grads = {k: arrays[k].grad.asnumpy() for k in grads_of}
        mx.nd.waitall()
    except GeneratorError:
        raise
    except Exception as e:  # MXNet raised: only error cases may do that
        if expect == 'result':
            raise GeneratorError(f'{full_name}: MXNet raised {short_error(e)}') from e
        record['error'] = {'kind': expect or stage, 'mxnet': short_error(e)}
        return record
    if expect in ('config', 'input'):
        raise GeneratorError(f'{full_name}: expected MXNet to reject it, but it returned {out_np}')
    if check is not None:
        check(out_np)

    if default_head_grad:
        record['headGradDefault'] = True
    record['headGrad'] = encode(head)
    expected_grads = {}
    for k, g in grads.items():
        undefined = None
        if loss_name == 'CTCLoss' and k == 'pred':
            undefined = ctc_undefined_mask(inputs, config, g.shape)
            if not undefined.any():
                undefined = None
        expected_grads[k] = encode(g, undefined=undefined)
    record['expected'] = {'loss': encode(out_np), 'grads': expected_grads,
                          'ref64': ref64_json(loss_name, record, inputs, head, grads_of, expected_grads, encode)}
    return record


def ref64_json(loss_name, record, inputs, head, grads_of, expected_grads, encode) -> dict:
    """The float64 reference of the case (reference64.py), with the same undefined
    elements as MXNet's own gradients."""
    ref = reference64(record['loss'], record['config'], inputs, head, grads_of)
    undefined = ref.get('undefined', {})
    grads = {}
    for k, g in ref['grads'].items():
        mask = undefined.get(k)
        ref_undefined = np.zeros(g.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).reshape(-1)
        if not np.array_equal(ref_undefined, undefined_elements(expected_grads[k]['data'])):
            raise GeneratorError(f'{record["name"]}: the float64 reference leaves other elements of {k} undefined')
        grads[k] = encode(g, 'float64', undefined=mask)
    return {'loss': encode(ref['loss'], 'float64'), 'grads': grads}


def generate(loss_name: str) -> str:
    cases = LOSSES[loss_name]()
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise GeneratorError(f'{loss_name}: duplicate case names')
    records = [run_case(loss_name, c) for c in cases]
    return dumps({
        'format': FORMAT,
        'formatVersion': FORMAT_VERSION,
        'reference': {'mxnet': mx.__version__, 'numpy': np.__version__, 'mode': 'ndarray-imperative-classic'},
        'loss': loss_name,
        'cases': records,
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true',
                        help=f'compare with the committed files instead of writing (outputs to {CHECK_ULPS} float32 ulps)')
    parser.add_argument('--loss', action='append', help='only this loss (repeatable)')
    parser.add_argument('--out', type=Path, default=GOLDEN_DIR, help='folder to write (default: conformance/golden)')
    args = parser.parse_args()
    if mx.__version__ != '1.9.1':
        print(f'error: the goldens come from mxnet 1.9.1, this is {mx.__version__}', file=sys.stderr)
        return 2
    losses = args.loss or list(LOSSES)
    differing = []
    total = 0
    for loss_name in losses:
        text = generate(loss_name)
        count = text.count('"name": ')
        total += count
        path = args.out / f'{loss_name}.json'
        if args.check:
            old = path.read_text() if path.exists() else None
            problem, worst = ('no committed file', 0.0) if old is None else compare_goldens(old, text)
            if problem:
                status = f'DIFFERS: {problem}'
                differing.append(loss_name)
            else:
                status = 'same bytes' if old == text else f'same within {worst:.0f} ulps'
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            status = 'written'
        print(f'{loss_name:32s} {count:3d} cases  {status}')
    print(f'{total} cases from mxnet {mx.__version__} (numpy {np.__version__}, python {platform.python_version()})')
    if differing:
        print(f'error: the committed goldens differ from what MXNet produces for: {", ".join(differing)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
