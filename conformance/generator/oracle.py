#!/usr/bin/env python3
"""MXNet 1.9.1 as an oracle for the differential tester (packages/differential).

Reads one JSON request a line on stdin and writes one JSON answer a line on stdout, in
order, until stdin closes. A request is a golden case without its expected values:

    {"name": "L2Loss/diff-1-0", "loss": "L2Loss", "description": "...", "config": {...},
     "inputs": {"pred": {"dtype": "float32", "shape": [2, 3], "data": [...]}, ...}}

The request may hold a `headGrad` of MXNet's output shape (a golden case's, to replay it);
the answer holds what the golden record generate.py would write for it adds to the request:
the head gradient (the one given, or drawn from a generator seeded by the case's name), and
`expected` (MXNet's loss and the gradient of every differentiable input), or `error` when
MXNet rejects the call (kind 'config' when the constructor raised, else 'input').

The same runner (generate.run_mxnet) makes both the goldens and these answers, so a case
that the differential tester finds can be written out as a golden case unchanged.

On this pipe (only) a tensor's `data` is its elements' little-endian bytes in base64,
`{"b64": ..., "undefined": ...}` (the second a byte per element, 1 where the golden has
null), both ways: packages/differential/src/oracle.ts turns them into the goldens' numbers.
Writing and reading 64K-element tensors as JSON numbers was most of the oracle's time.
"""
import base64
import json
import queue
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (sets MXNet's determinism variables before importing mxnet)
import numpy as np  # noqa: E402
from mxnet import nd  # noqa: E402


WIRE_DTYPES = {'float32': '<f4', 'float64': '<f8', 'int32': '<i4'}


def decode_tensor(t: dict) -> np.ndarray:
    data = t['data']
    if isinstance(data, dict):
        values = np.frombuffer(base64.b64decode(data['b64']), dtype=WIRE_DTYPES[t['dtype']])
    else:
        values = [float(v) if not isinstance(v, str) else float(v.replace('Infinity', 'inf')) for v in data]
    return np.asarray(values, dtype=np.int64 if t['dtype'] == 'int32' else np.float32).reshape(t['shape'])


def canonical_bytes(values: np.ndarray, undefined: np.ndarray) -> bytes:
    """The bytes two answers must share: one NaN for all, and nothing where the element is
    undefined (MXNet leaves garbage there, as its CTC gradient past a sample's length)."""
    return np.where(np.isnan(values) | undefined, np.nan, values).astype(values.dtype).tobytes()


class WireData:
    """A tensor's elements on the pipe: compared as the goldens' text would compare them
    (bit for bit, so -0 differs from 0, but any NaN equals any other and undefined elements
    are not compared), and written as base64 by `wire_json`."""
    __slots__ = ('values', 'undefined')

    def __init__(self, values: np.ndarray, undefined):
        self.values = values
        self.undefined = None if undefined is None or not np.any(undefined) else np.asarray(undefined, dtype=np.uint8).reshape(-1)

    def undefined_mask(self) -> np.ndarray:
        return np.zeros(self.values.size, dtype=bool) if self.undefined is None else self.undefined.astype(bool)

    def __eq__(self, other) -> bool:
        if not isinstance(other, WireData) or self.values.dtype != other.values.dtype:
            return False
        undefined = self.undefined_mask()
        return (np.array_equal(undefined, other.undefined_mask())
                and canonical_bytes(self.values, undefined) == canonical_bytes(other.values, undefined))

    def json(self) -> dict:
        out = {'b64': base64.b64encode(self.values.tobytes()).decode('ascii')}
        if self.undefined is not None:
            out['undefined'] = base64.b64encode(self.undefined.tobytes()).decode('ascii')
        return out


def wire_tensor(array, dtype='float32', undefined=None) -> dict:
    """generate.run_mxnet's `encode` for the pipe: the tensor's exact float32 (or float64) values."""
    a = np.asarray(array)
    values = np.ascontiguousarray(a.reshape(-1), dtype=WIRE_DTYPES[dtype])
    return {'dtype': dtype, 'shape': list(a.shape), 'data': WireData(values, undefined)}


def wire_json(o):
    if isinstance(o, WireData):
        return o.json()
    raise TypeError(f'{type(o).__name__} is not JSON serializable')


# A small value and a huge one: leftovers read as 7.0 change a NaN count (below), and
# only a huge one turns MXNet's garbage products into overflow where 7.0 agreed with the
# first run (SquaredHingeLoss, rank 7 under a rank-8 sample_weight, seed 202612010 case 213).
POISONS = (7.0, 1.2345e30)


def poison_freed_memory(inputs: dict, value: float) -> None:
    """Fills buffers of the inputs' sizes with `value` and frees them, so that MXNet's
    storage pool hands them to the next call's temporaries. Two calls in a row otherwise
    often find the same leftovers and agree: KLDivLoss(weight=0) on a rank-8 input gave 715
    NaN gradient elements twice, and 726 after this (differential seed 77, KLDivLoss case 7)."""
    held = [nd.full(shape, value, dtype='float32') for shape in temporary_shapes(inputs) for _ in range(4)]
    nd.waitall()
    del held


def temporary_shapes(inputs: dict) -> list:
    """The inputs' shapes and those of their pairwise broadcasts (a loss weighted by a
    sample_weight that enlarges it, for one): the sizes MXNet's temporaries likely have.
    A broadcast larger than 8 times the largest input is no loss's temporary (a label of
    (N,) against a pred of (N, 1) broadcasts to N x N, which no loss forms) and is left out."""
    shapes = [v.shape for v in inputs.values() if not np.isscalar(v)]
    out = list(dict.fromkeys(shapes))
    largest = max((int(np.prod(s)) for s in shapes), default=0)
    for i, a in enumerate(shapes):
        for b in shapes[i + 1:]:
            try:
                both = np.broadcast_shapes(a, b)
            except ValueError:
                continue
            if both not in out and int(np.prod(both)) <= 8 * largest:
                out.append(both)
    return out


def answer(request: dict) -> dict:
    inputs = {k: (float(v) if not isinstance(v, dict) else decode_tensor(v)) for k, v in request['inputs'].items()}
    record = {k: request[k] for k in ('name', 'loss', 'description', 'config', 'inputs')}
    loss_name = generate.ALIASES.get(record['loss'], record['loss'])
    # MXNet cannot differentiate PoissonNLLLoss(compute_full=True): see generate.py.
    out_of_place = loss_name == 'PoissonNLLLoss' and bool(record['config'].get('compute_full'))
    head = None if request.get('headGrad') is None else decode_tensor(request['headGrad']).astype(np.float32)
    def run() -> dict:
        done = generate.run_mxnet(loss_name, dict(record), inputs, generate.Rand(record['name']),
                                  out_of_place_grad=out_of_place, head=head, encode=wire_tensor)
        # The caller has the inputs; only what MXNet added goes back.
        return {k: done[k] for k in ('headGrad', 'expected', 'error') if k in done}
    # MXNet reads uninitialised memory on some inputs (high-rank broadcast gradients, for
    # one), so the same call can answer differently twice: such a case has no MXNet value to
    # hold a backend to. It is asked again over freed memory filled with other values
    # (POISONS), and an answer that changes is reported as such.
    first = run()
    for poison in POISONS:
        poison_freed_memory(inputs, poison)
        if run() != first:
            return {'nondeterministic': True}
    return first


def main() -> int:
    # Answers go out from a thread of their own, so MXNet goes on with the next request while
    # the caller (busy running backends) has yet to read the last one from a full pipe.
    replies: queue.Queue = queue.Queue()

    def write_replies():
        while (text := replies.get()) is not None:
            sys.stdout.write(text)
            sys.stdout.flush()

    writer = threading.Thread(target=write_replies)
    writer.start()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as e:  # a malformed request: say so and go on
            reply = {'oracleError': f'{type(e).__name__}: {e}'}
        replies.put(json.dumps(reply, allow_nan=False, default=wire_json) + '\n')
    replies.put(None)
    writer.join()
    return 0


if __name__ == '__main__':
    sys.exit(main())
