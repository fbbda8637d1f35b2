"""The JAX anchor of the gluon-loss bench: MXNet's losses (jax_losses.py) compiled by XLA
for the CPU, fused, on the same inputs as every backend and MXNet.

The bench (packages/bench/src/jax.ts) starts this script once per full run with
.venv-jax's Python (jax[cpu], jaxlib and optax pinned by requirements-jax.txt: JAX needs
numpy >= 2, MXNet's venv pins 1.23.5) and speaks the same protocol as mxnet_bench.py
(bench_protocol.py). For each requested mode:

  * prepare: build the loss from MXNet's config, put the inputs on the CPU device, and
    compile with `jax.jit(...).lower(...).compile()` (compileMs); a loss or option without
    a faithful JAX version (jax_losses.NoAnchor) answers `unsupported` with the reason;
  * forward is the compiled loss, waited for with `block_until_ready`; forwardBackward is
    one compiled function returning the loss and `jax.vjp`'s gradients (for the head
    gradient, of the inputs the spec's plan names), every result waited for;
  * first call, warm-up, timed calls: the bench's protocol, as for MXNet.

Threads: XLA's CPU runtime keeps its defaults (its own thread pool over the machine's
cores), as a JAX user gets; the ready line says so.
"""
import sys
import time

import numpy as np
import jax
import jax.numpy as jnp  # noqa: F401 - imported before timing, so its start-up is not a cell's
import jaxlib
import optax

from bench_protocol import serve, timed
from jax_losses import NoAnchor, make_loss


def compiled(request, mode, arrays, head_grad):
    """The compiled call for the mode and its arguments (device arrays)."""
    names = [spec["name"] for spec in request["inputs"]]
    loss = make_loss(request["loss"], request["config"], names)
    args = [jax.device_put(a) for a in arrays]
    if mode == "forward":
        return jax.jit(loss).lower(*args).compile(), args
    positions = [i for i, name in enumerate(names) if name in request["gradInputs"]]

    def forward_backward(head, *all_args):
        def of_grads(*grads):
            given = list(all_args)
            for p, g in zip(positions, grads):
                given[p] = g
            return loss(*given)

        out, vjp = jax.vjp(of_grads, *[all_args[p] for p in positions])
        return out, vjp(head)

    head = jax.device_put(head_grad)
    return jax.jit(forward_backward).lower(head, *args).compile(), [head, *args]


def run_mode(request, mode, arrays, head_grad):
    t0 = time.perf_counter()
    try:
        fn, args = compiled(request, mode, arrays, head_grad)
    except NoAnchor as e:
        return {"status": "unsupported", "reason": f"no JAX anchor: {e}"}
    t1 = time.perf_counter()

    def call():
        jax.block_until_ready(fn(*args))

    call()
    first_ms = (time.perf_counter() - t0) * 1e3
    median, low, high, count = timed(call, request["timing"])
    return {
        "status": "ok",
        "medianMs": median,
        "minMs": low,
        "maxMs": high,
        "samples": count,
        "firstCallMs": first_ms,
        "compileMs": (t1 - t0) * 1e3,
    }


def main():
    device = jax.devices()[0]
    serve(
        {
            "jax": jax.__version__,
            "jaxlib": jaxlib.__version__,
            "optax": optax.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "device": f"{device.platform} ({device.device_kind})",
            "threads": "default",
        },
        run_mode,
    )


if __name__ == "__main__":
    main()
