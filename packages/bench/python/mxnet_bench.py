"""The MXNet 1.9.1 anchor of the gluon-loss bench.

The bench (packages/bench/src/mxnet.ts) starts this script once per run with the repo's
.venv Python, then sends one JSON request per line on stdin: a loss, its config, and
where in a binary file the case's inputs lie (float32, little-endian, exactly the arrays
the TypeScript backends are timed on). For each requested mode this script answers one
JSON line with the timing, following the bench's protocol (measure.ts; the shared part
is bench_protocol.py):

  * prepare: build the Gluon block and hybridize it (static_alloc, static_shape), MXNet's
    compiled path; SDMLLoss cannot be hybridized and runs imperatively;
  * first call (graph build, operator set-up) timed apart: firstCallMs;
  * warm-up calls, then timed calls until both the time budget and the minimum count
    are met; median, min and max.

forward is `block(*inputs)` then waiting for the result; forwardBackward records with
autograd, runs `backward(head_grad)` and waits for every gradient. The inputs that get a
gradient are the ones the spec's plan names (`gradInputs`), as in the backends.

Threads: MXNet keeps its defaults (its engine, and OpenMP over the machine's cores)
unless the bench sets OMP_NUM_THREADS before starting this process.
"""
import os
import sys
import time

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon

from bench_protocol import serve, timed

# Blocks that MXNet 1.9.1 cannot hybridize (SDMLLoss builds Python-side arrays per call).
IMPERATIVE_ONLY = {"SDMLLoss"}


def make_block(loss, config):
    block = getattr(gluon.loss, loss)(**config)
    hybridized = loss not in IMPERATIVE_ONLY
    if hybridized:
        block.hybridize(static_alloc=True, static_shape=True)
    return block, hybridized


def run_mode(request, mode, arrays, head_grad):
    loss, config, timing = request["loss"], request["config"], request["timing"]
    names = [spec["name"] for spec in request["inputs"]]
    t0 = time.perf_counter()
    block, hybridized = make_block(loss, config)
    args = [mx.nd.array(a, dtype="float32") for a in arrays]
    if mode == "forward":
        def call():
            out = block(*args)
            out.wait_to_read()
    else:
        head = mx.nd.array(head_grad, dtype="float32")
        grads = [a for name, a in zip(names, args) if name in request["gradInputs"]]
        for a in grads:
            a.attach_grad()

        def call():
            with autograd.record():
                out = block(*args)
            out.backward(head)
            mx.nd.waitall()
    t1 = time.perf_counter()
    call()
    first_ms = (time.perf_counter() - t0) * 1e3
    median, low, high, count = timed(call, timing)
    return {
        "status": "ok",
        "medianMs": median,
        "minMs": low,
        "maxMs": high,
        "samples": count,
        "firstCallMs": first_ms,
        "compileMs": (t1 - t0) * 1e3,
        "path": "hybridized" if hybridized else "imperative",
    }


def main():
    serve(
        {
            "mxnet": mx.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "engine": os.environ.get("MXNET_ENGINE_TYPE", "ThreadedEnginePerDevice"),
            "ompThreads": os.environ.get("OMP_NUM_THREADS", "default"),
        },
        run_mode,
    )


if __name__ == "__main__":
    main()
