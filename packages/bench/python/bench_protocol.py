"""The part of the bench's protocol that both Python anchors share (mxnet_bench.py and
jax_bench.py): the JSON lines they answer with, the binary file of the case's inputs, and
the timing loop after the first call (the same steps as src/measure.ts). Standard library
and numpy only, so that each anchor's venv can import it.
"""
import json
import statistics
import sys
import time

import numpy as np


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load_inputs(request):
    """The case's inputs (float32, little-endian, exactly the backends' arrays) and head gradient."""
    raw = np.fromfile(request["file"], dtype="<f4")
    arrays = []
    for spec in request["inputs"]:
        start = spec["offset"] // 4
        count = int(np.prod(spec["shape"]))
        arrays.append(raw[start:start + count].reshape(spec["shape"]).copy())
    head = request["headGrad"]
    start = head["offset"] // 4
    head_grad = raw[start:start + int(np.prod(head["shape"]))].reshape(head["shape"]).copy()
    return arrays, head_grad


def timed(call, timing):
    """The bench's protocol after the first call; returns (median, min, max, samples)."""
    start = time.perf_counter()
    call()
    second_ms = (time.perf_counter() - start) * 1e3
    slow = second_ms > timing["slowCallMs"]
    if not slow:
        for _ in range(timing["warmupIterations"]):
            call()
    budget_ms = 0 if slow else timing["timeMs"]
    minimum = timing["slowIterations"] if slow else timing["minIterations"]
    samples = []
    began = time.perf_counter()
    while len(samples) < minimum or (time.perf_counter() - began) * 1e3 < budget_ms:
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples), min(samples), max(samples), len(samples)


def failure(e):
    """A cell's failure reason: the exception's type and first line."""
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def serve(ready, run_mode):
    """Announces `ready`, then answers each request line: one cell per mode, then done."""
    emit({"event": "ready", **ready})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        arrays, head_grad = load_inputs(request)
        for mode in request["modes"]:
            emit({"event": "start", "id": request["id"], "mode": mode})
            try:
                cell = run_mode(request, mode, arrays, head_grad)
            except Exception as e:  # noqa: BLE001 - any failure marks the cell, not the run
                cell = {"status": "failed", "reason": failure(e)}
            emit({"event": "cell", "id": request["id"], "mode": mode, **cell})
        emit({"event": "done", "id": request["id"]})
