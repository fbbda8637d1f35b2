"""Holds the JAX anchor (jax_losses.py) to MXNet's golden values.

For every case of conformance/golden/*.json that MXNet computed (not its error cases),
builds the loss from the case's config, computes the forward and, with `jax.vjp` and the
case's head gradient, every gradient the golden records, and compares them with MXNet's
float32 results (rtol 1e-4, atol 1e-5; NaN equals NaN, infinities must match; a golden
value recorded as undefined is not compared). Prints one line per loss and each failing
case; exits 1 if any case that has an anchor disagrees, so the bench never times a
different computation under MXNet's name. A case whose option has no JAX anchor
(NoAnchor) is listed, not failed: the bench reports those cells as "no anchor".

    .venv-jax/bin/python packages/bench/python/jax_check.py [LOSS ...]
"""
import glob
import json
import os
import sys

import jax
import numpy as np

from jax_losses import NoAnchor, make_loss

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
RTOL, ATOL = 1e-4, 1e-5


def tensor(spec):
    data = [np.nan if v is None else float(v) for v in spec["data"]]
    return np.asarray(data, dtype=np.float32).reshape(spec["shape"])


def undefined_mask(spec):
    return np.asarray([v is None for v in spec["data"]], dtype=bool).reshape(spec["shape"])


def close(got, spec):
    want = tensor(spec)
    got = np.asarray(got, dtype=np.float32)
    if got.shape != want.shape:
        return f"shape {got.shape}, MXNet {want.shape}"
    keep = ~undefined_mask(spec)
    g, w = got[keep], want[keep]
    ok = np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True) | (np.isinf(w) & (g == w))
    if ok.all():
        return None
    i = int(np.argmax(~ok))
    return f"{int((~ok).sum())}/{ok.size} differ, e.g. {g[i]!r} vs MXNet {w[i]!r}"


def check(case):
    names = list(case["inputs"])
    arrays = [v if isinstance(v, (int, float)) else tensor(v) for v in case["inputs"].values()]
    f = make_loss(case["loss"], case["config"], names)
    expected = case["expected"]
    grad_names = list(expected.get("grads") or {})
    positions = [names.index(n) for n in grad_names]

    def of_grads(*grads):
        args = list(arrays)
        for p, g in zip(positions, grads):
            args[p] = g
        return f(*args)

    # jitted, as the bench times it (XLA may rewrite a fused graph's special values)
    forward_backward = jax.jit(lambda head, *g: (lambda out, vjp: (out, vjp(head)))(*jax.vjp(of_grads, *g)))
    out = jax.jit(of_grads)(*[arrays[p] for p in positions])
    problems = []
    bad = close(out, expected["loss"])
    if bad:
        problems.append(f"loss: {bad}")
    if grad_names:
        head = tensor(case["headGrad"]).reshape(np.shape(out))
        _, grads = forward_backward(head, *[arrays[p] for p in positions])
        for name, g in zip(grad_names, grads):
            bad = close(g, expected["grads"][name])
            if bad:
                problems.append(f"grad {name}: {bad}")
    return problems


def main(wanted):
    failed = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "conformance", "golden", "*.json"))):
        golden = json.load(open(path))
        if wanted and golden["loss"] not in wanted:
            continue
        cases = [c for c in golden["cases"] if "expected" in c]
        passed, no_anchor, lines = 0, 0, []
        for case in cases:
            try:
                problems = check(case)
            except NoAnchor as e:
                no_anchor += 1
                lines.append(f"  no anchor  {case['name']}: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - a crash is a failed case, with its reason
                problems = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
            if problems:
                failed += 1
                lines.append(f"  FAILED     {case['name']}: {'; '.join(problems)}")
            else:
                passed += 1
        print(f"{golden['loss']}: {passed}/{len(cases)} agree with MXNet, {no_anchor} no anchor")
        for line in lines:
            print(line)
    print("all agree" if failed == 0 else f"{failed} case(s) disagree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(set(sys.argv[1:])))
