#!/usr/bin/env python3
"""Generates conformance/golden/<Loss>.json from MXNet 1.9.1 itself.

Each case of cases.py is built with the real `mxnet.gluon.loss` class, called
imperatively on NDArrays in MXNet's classic (not `npx.set_np`) mode, and differentiated
with `autograd` against a random head gradient (or, for the cases marked `headGradDefault`,
with `backward()` and no head gradient, which MXNet fills with ones). MXNet's engine runs single-threaded
(NaiveEngine, one OpenMP thread) and oneDNN is held to its AVX2 kernels, so every run on
an AVX2 host writes the same bytes. A host whose CPU lacks AVX2 would round the last bit
of some results differently, so `--check` holds the inputs, head gradients and structure
to exact equality and MXNet's outputs to a few float32 ulps (CHECK_ULPS).

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

# How far --check lets a recorded output move between CPUs, in float32 ulps of the
# tensor's largest magnitude (an element that cancels towards zero carries the rounding
# of the large terms it came from). This is far inside the conformance tolerance (rtol
# 1e-4), so it cannot hide a change of behaviour.
CHECK_ULPS = 8

FORMAT = 'gluon-loss-golden'
FORMAT_VERSION = 2
GOLDEN_DIR = Path(__file__).resolve().parent.parent / 'golden'


class GeneratorError(Exception):
    pass


# --------------------------------------------------------------------------------- encoding

def number_token(x, dtype) -> str:
    """The shortest decimal that reads back as exactly this float32 (numpy's repr of a
    float32 is the shortest round-trip form), or a string for what JSON cannot hold."""
    if dtype == 'int32':
        return str(int(x))
    v = np.float32(x)
    if np.isnan(v):
        return '"NaN"'
    if np.isinf(v):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    return str(v)


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
    """The largest distance between two recorded output tensors, in float32 ulps of their
    largest magnitude; raises ValueError when they differ in anything but rounding
    (dtype, shape, NaN, infinity, undefined)."""
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
    return worst / float(np.spacing(np.float32(magnitude)))


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
        pairs = [('loss', oe['loss'], ne['loss'])] + [(f'grads.{k}', oe['grads'][k], ne['grads'][k]) for k in oe['grads']]
        for label, a, b in pairs:
            try:
                worst = max(worst, output_ulps(a, b, f'{oc["name"]} {label}'))
            except ValueError as e:
                return str(e), worst
            if worst > CHECK_ULPS:
                return f'{oc["name"]} {label}: {worst:.0f} ulps apart (at most {CHECK_ULPS})', worst
    return None, worst


# --------------------------------------------------------------------------------- running

def short_error(e: BaseException) -> str:
    """MXNet's message without its C++ traceback: the 'Check failed' line, or Python's."""
    text = str(e)
    for line in text.splitlines():
        if 'Check failed' in line:
            return f'{type(e).__name__}: ' + line.split('Check failed:', 1)[1].strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), '')
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
    label = np.asarray(case_inputs['label'])
    if label_layout == 'TN':
        label = label.T
    mask = np.zeros((n, t, pred_shape[2]), dtype=bool)
    for i in range(n):
        row = list(label[i])
        if 'label_lengths' in case_inputs:
            row = row[:int(case_inputs['label_lengths'][i])]
        elif -1 in row:
            row = row[:row.index(-1)]
        repeats = sum(1 for a, b in zip(row, row[1:]) if a == b)
        steps = int(case_inputs['pred_lengths'][i]) if 'pred_lengths' in case_inputs else t
        if len(row) + repeats > steps:
            mask[i] = True
    return mask if layout == 'NTC' else mask.transpose(1, 0, 2)


class PoissonNLLOutOfPlace(gluon.loss.PoissonNLLLoss):
    """PoissonNLLLoss.hybrid_forward of 1.9.1 with its two in-place updates written out of
    place, so that autograd can record it; every operator is the one MXNet uses."""

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = target.reshape(pred.shape)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling_factor = target * F.log(target) - target + 0.5 * F.log(2 * target * np.pi)
            stirling_factor = stirling_factor * (target > 1)
            loss = loss + stirling_factor
        loss = gluon.loss._apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


OUT_OF_PLACE = {'PoissonNLLLoss': PoissonNLLOutOfPlace}


def positional_args(order, inputs, arrays):
    """MXNet's forward is positional: every input up to the last one given (None for
    the optional ones skipped), then any input the loss does not take (error cases)."""
    last = max((order.index(k) for k in inputs if k in order), default=-1)
    return [arrays.get(k, inputs.get(k)) for k in order[:last + 1]] + [arrays[k] for k in inputs if k not in order]


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

    arrays = {k: nd.array(v, dtype='float32') for k, v in inputs.items() if not np.isscalar(v)}
    grads_of = [k for k in arrays if differentiable(loss_name, case.config, k)]
    try:
        block = getattr(gluon.loss, case.alias or loss_name)(**case.config)
        if case.out_of_place_grad:
            real_forward = block(*positional_args(order, inputs, arrays)).asnumpy()
            block = OUT_OF_PLACE[loss_name](**case.config)
        for k in grads_of:
            arrays[k].attach_grad()
        with autograd.record():
            out = block(*positional_args(order, inputs, arrays))
        out_np = out.asnumpy()
        if case.out_of_place_grad and not np.array_equal(out_np, real_forward, equal_nan=True):
            raise GeneratorError(f'{full_name}: the out-of-place restatement differs from MXNet: {out_np} vs {real_forward}')
        if case.default_head_grad:
            head = np.ones(out_np.shape, dtype=np.float32)  # what MXNet's backward() uses
            out.backward()
        else:
            head = rand.normal(out_np.shape).astype(np.float32)
            out.backward(nd.array(head))
        grads = {k: arrays[k].grad.asnumpy() for k in grads_of}
        mx.nd.waitall()
    except Exception as e:  # MXNet raised: only error cases may do that
        if not case.error:
            raise GeneratorError(f'{full_name}: MXNet raised {short_error(e)}') from e
        record['error'] = {'kind': case.error, 'mxnet': short_error(e)}
        return record
    if case.error:
        raise GeneratorError(f'{full_name}: expected MXNet to reject it, but it returned {out_np}')
    if case.check is not None:
        case.check(out_np)

    if case.default_head_grad:
        record['headGradDefault'] = True
    record['headGrad'] = tensor_json(head)
    expected_grads = {}
    for k, g in grads.items():
        undefined = None
        if loss_name == 'CTCLoss' and k == 'pred':
            undefined = ctc_undefined_mask(inputs, case.config, g.shape)
            if not undefined.any():
                undefined = None
        expected_grads[k] = tensor_json(g, undefined=undefined)
    record['expected'] = {'loss': tensor_json(out_np), 'grads': expected_grads}
    return record


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
