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
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (sets MXNet's determinism variables before importing mxnet)
import numpy as np  # noqa: E402


def decode_tensor(t: dict) -> np.ndarray:
    values = [float(v) if not isinstance(v, str) else float(v.replace('Infinity', 'inf')) for v in t['data']]
    return np.asarray(values, dtype=np.int64 if t['dtype'] == 'int32' else np.float32).reshape(t['shape'])


def fast_tensor_json(array, dtype='float32', undefined=None) -> dict:
    """generate.tensor_json's tensor with each float32 (or float64) written as its exact value
    in float64's repr (C-speed, unlike the shortest float32 form, which costs microseconds a number and
    made 64K-element answers slow); NaN, infinities and undefined elements as in the goldens."""
    a = np.asarray(array, dtype=np.float64 if dtype == 'float64' else np.float32)
    flat = a.reshape(-1)
    values = flat.astype(np.float64).tolist()
    special = ~np.isfinite(flat)
    if undefined is not None:
        special |= np.asarray(undefined).reshape(-1)
    for i in np.flatnonzero(special):
        if undefined is not None and np.asarray(undefined).reshape(-1)[i]:
            values[i] = None
        else:
            values[i] = generate.number_token(flat[i], dtype).strip('"')
    return {'dtype': dtype, 'shape': list(a.shape), 'data': values}


def answer(request: dict) -> dict:
    inputs = {k: (float(v) if not isinstance(v, dict) else decode_tensor(v)) for k, v in request['inputs'].items()}
    record = {k: request[k] for k in ('name', 'loss', 'description', 'config', 'inputs')}
    loss_name = generate.ALIASES.get(record['loss'], record['loss'])
    # MXNet cannot differentiate PoissonNLLLoss(compute_full=True): see generate.py.
    out_of_place = loss_name == 'PoissonNLLLoss' and bool(record['config'].get('compute_full'))
    head = None if request.get('headGrad') is None else decode_tensor(request['headGrad']).astype(np.float32)
    def run() -> dict:
        done = generate.run_mxnet(loss_name, dict(record), inputs, generate.Rand(record['name']),
                                  out_of_place_grad=out_of_place, head=head, encode=fast_tensor_json)
        # The caller has the inputs; only what MXNet added goes back.
        return {k: done[k] for k in ('headGrad', 'expected', 'error') if k in done}
    # MXNet reads uninitialised memory on some inputs (high-rank broadcast gradients, for
    # one), so the same call can answer differently twice: such a case has no MXNet value to
    # hold a backend to. It is asked twice, and an answer that changes is reported as such.
    first, second = run(), run()
    if json.dumps(first, sort_keys=True) != json.dumps(second, sort_keys=True):
        return {'nondeterministic': True}
    return first


def main() -> int:
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as e:  # a malformed request: say so and go on
            reply = {'oracleError': f'{type(e).__name__}: {e}'}
        out.write(json.dumps(reply, allow_nan=False) + '\n')
        out.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
