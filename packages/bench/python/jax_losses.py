"""MXNet 1.9.1's Gluon losses written in JAX: the bench's second native anchor.

Each builder takes the MXNet constructor's keyword arguments (MXNet's defaults where one
is missing) and the names of the inputs given, in MXNet's forward order, and returns a
function of those arrays that computes what `mxnet.gluon.loss.<Loss>(**config)` computes
(packages/bench/python/mxnet_bench.py times that block on the same arrays): the same
formulas, the same weighting order (`loss * sample_weight`, then `* weight`), the mean
over every axis but `batch_axis` (KLDiv and Triplet sum, PoissonNLL means over
everything, CTC and CosineEmbedding do not reduce). The gradients come from `jax.vjp`,
so every derivative that MXNet takes at a kink is matched by choosing the JAX primitive
with the same one (`_relu` and `_abs` below have MXNet's 0 at 0 and its NaN handling).

A loss or option that this file cannot compute as MXNet does raises NoAnchor with the
reason, and the bench reports the cell as having no JAX anchor instead of timing a
different computation. `python/jax_check.py` holds these functions to the golden values.
"""
import json
import math
import os

import jax
import jax.numpy as jnp
import optax


class NoAnchor(Exception):
    """This loss or option has no faithful JAX equivalent here."""


def _non_batch_axes(ndim, batch_axis):
    """MXNet's `axis=batch_axis, exclude=True`: every axis but the batch axis."""
    batch = batch_axis % ndim if ndim > 0 else 0
    return tuple(a for a in range(ndim) if a != batch)


def _batch_mean(loss, batch_axis):
    return jnp.mean(loss, axis=_non_batch_axes(loss.ndim, batch_axis)) if loss.ndim > 1 else loss


def _batch_sum(loss, batch_axis):
    return jnp.sum(loss, axis=_non_batch_axes(loss.ndim, batch_axis)) if loss.ndim > 1 else loss


def _weighting(loss, weight, sample_weight):
    if sample_weight is not None:
        loss = loss * sample_weight
    if weight is not None:
        loss = loss * weight
    return loss


@jax.custom_jvp
def _abs(x):
    """abs with MXNet's gradient, sign(x): 0 at 0 (JAX's own abs has 1 there)."""
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.abs(x), t * jnp.sign(x)


@jax.custom_jvp
def _relu(x):
    """relu with MXNet's gradient: head * (x > 0), NaN where x is NaN, so an infinite
    head gradient times an inactive unit is NaN, as in MXNet (JAX's select gives 0)."""
    return jax.nn.relu(x)


@_relu.defjvp
def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    step = jnp.where(jnp.isnan(x), x, (x > 0).astype(x.dtype))
    return jax.nn.relu(x), t * step


def _mask(condition, like):
    """A 0/1 float of `condition`: multiplying by it keeps 0 * NaN = NaN (jnp turns a
    product with a boolean into a select, which would drop the NaN)."""
    return condition.astype(like.dtype)


def _softrelu(x):
    """MXNet's Activation softrelu: log(1 + exp(x)), as log1p(exp(x))."""
    return jnp.log1p(jnp.exp(x))


def _take(config, defaults, loss):
    """MXNet's keyword arguments with its defaults; an unknown one is no anchor."""
    unknown = set(config) - set(defaults)
    if unknown:
        raise NoAnchor(f"{loss}: no JAX equivalent for option(s) {sorted(unknown)}")
    return {**defaults, **config}


def _args(names, arrays):
    """The arrays by MXNet input name (the optional ones absent when not given)."""
    return dict(zip(names, arrays))


def l2(config, names):
    c = _take(config, {"weight": 1.0, "batch_axis": 0}, "L2Loss")
    if c["weight"] is None:
        raise NoAnchor("L2Loss: weight=None raises a TypeError in MXNet (None / 2)")

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        label = a["label"].reshape(pred.shape)
        loss = _weighting(jnp.square(label - pred), c["weight"] / 2, a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def l1(config, names):
    c = _take(config, {"weight": None, "batch_axis": 0}, "L1Loss")

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        loss = _weighting(_abs(a["label"].reshape(pred.shape) - pred), c["weight"], a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def sigmoid_bce(config, names):
    c = _take(config, {"from_sigmoid": False, "weight": None, "batch_axis": 0}, "SigmoidBinaryCrossEntropyLoss")

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        label = a["label"].reshape(pred.shape)
        pos_weight = a.get("pos_weight")
        if not c["from_sigmoid"]:
            if pos_weight is None:
                loss = _relu(pred) - pred * label + _softrelu(-_abs(pred))
            else:
                log_weight = 1 + (pos_weight - 1) * label
                loss = pred - pred * label + log_weight * (_softrelu(-_abs(pred)) + _relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(jnp.log(pred + eps) * label + jnp.log(1.0 - pred + eps) * (1.0 - label))
            else:
                loss = -((jnp.log(pred + eps) * label) * pos_weight + jnp.log(1.0 - pred + eps) * (1.0 - label))
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def softmax_ce(config, names):
    c = _take(
        config,
        {"axis": -1, "sparse_label": True, "from_logits": False, "weight": None, "batch_axis": 0},
        "SoftmaxCrossEntropyLoss",
    )

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        axis = c["axis"] % pred.ndim
        if not c["from_logits"]:
            pred = jax.nn.log_softmax(pred, axis=axis)
        label = a["label"]
        if c["sparse_label"]:
            # pick in its default mode 'clip': an out-of-range index is clipped, not rejected
            index = jnp.clip(label.astype(jnp.int32), 0, pred.shape[axis] - 1)
            index = index.reshape(pred.shape[:axis] + (1,) + pred.shape[axis + 1 :])
            loss = -jnp.take_along_axis(pred, index, axis=axis)
        else:
            loss = -jnp.sum(pred * label.reshape(pred.shape), axis=axis, keepdims=True)
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def kl_div(config, names):
    c = _take(config, {"from_logits": True, "axis": -1, "weight": None, "batch_axis": 0}, "KLDivLoss")

    def f(*arrays):
        a = _args(names, arrays)
        pred, label = a["pred"], a["label"]
        if not c["from_logits"]:
            pred = jax.nn.log_softmax(pred, axis=c["axis"])
        loss = label * (jnp.log(label + 1e-12) - pred)
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        return _batch_sum(loss, c["batch_axis"])

    return f


def ctc(config, names):
    c = _take(config, {"layout": "NTC", "label_layout": "NT", "weight": None}, "CTCLoss")
    if c["layout"] not in ("NTC", "TNC") or c["label_layout"] not in ("NT", "TN"):
        raise NoAnchor("CTCLoss: MXNet asserts layout NTC/TNC and label_layout NT/TN")

    lengths = [n for n in ("pred_lengths", "label_lengths") if n in names]
    if lengths:
        # optax's gradients for these differ from MXNet's on a few elements (jax_check.py)
        raise NoAnchor(f"CTCLoss: {' and '.join(lengths)} (the JAX gradients differ from MXNet's there)")

    def f(*arrays):
        a = _args(names, arrays)
        pred, label = a["pred"], a["label"]
        if c["layout"] == "TNC":
            pred = jnp.swapaxes(pred, 0, 1)
        if c["label_layout"] == "TN":
            label = jnp.swapaxes(label, 0, 1)
        n, t, channels = pred.shape
        # MXNet rounds a fractional label half away from zero (-0.6 is the padding -1)
        label = (jnp.sign(label) * jnp.floor(jnp.abs(label) + 0.5)).astype(jnp.int32)
        # without label_lengths a row ends at its first -1 (MXNet's padding for blank 'last')
        label_valid = jnp.cumprod(label != -1, axis=1).astype(bool)
        pred_length = jnp.full((n,), t, jnp.int32)
        logit_paddings = (jnp.arange(t)[None, :] >= pred_length[:, None]).astype(pred.dtype)
        label_paddings = (~label_valid).astype(pred.dtype)
        labels = jnp.where(label_valid, label, 0)
        # MXNet's blank is the last channel (blank_label='last'); optax's default blank is 0
        loss = optax.ctc_loss(pred, logit_paddings, labels, label_paddings, blank_id=channels - 1)
        # an alignment that cannot fit (labels plus the blanks between repeats longer than
        # the sequence) gives MXNet's loss 0, where optax gives about -log_epsilon
        repeats = jnp.sum(label_valid[:, 1:] & (labels[:, 1:] == labels[:, :-1]), axis=1)
        needed = jnp.sum(label_valid, axis=1) + repeats
        loss = jnp.where(needed <= pred_length, loss, 0.0)
        return _weighting(loss, c["weight"], a.get("sample_weight"))

    return f


def huber(config, names):
    c = _take(config, {"rho": 1, "weight": None, "batch_axis": 0}, "HuberLoss")
    rho = c["rho"]

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        d = _abs(a["label"].reshape(pred.shape) - pred)
        loss = jnp.where(d > rho, d - 0.5 * rho, (0.5 / rho) * jnp.square(d))
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def _hinge(squared, name):
    def build(config, names):
        c = _take(config, {"margin": 1, "weight": None, "batch_axis": 0}, name)

        def f(*arrays):
            a = _args(names, arrays)
            pred = a["pred"]
            loss = _relu(c["margin"] - pred * a["label"].reshape(pred.shape))
            if squared:
                loss = jnp.square(loss)
            loss = _weighting(loss, c["weight"], a.get("sample_weight"))
            return _batch_mean(loss, c["batch_axis"])

        return f

    return build


def logistic(config, names):
    c = _take(config, {"weight": None, "batch_axis": 0, "label_format": "signed"}, "LogisticLoss")
    if c["label_format"] not in ("signed", "binary"):
        raise NoAnchor("LogisticLoss: MXNet raises a ValueError for this label_format")

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        label = a["label"].reshape(pred.shape)
        if c["label_format"] == "signed":
            label = (label + 1.0) / 2.0
        loss = _relu(pred) - pred * label + _softrelu(-_abs(pred))
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        return _batch_mean(loss, c["batch_axis"])

    return f


def triplet(config, names):
    c = _take(config, {"margin": 1, "weight": None, "batch_axis": 0}, "TripletLoss")

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        positive = a["positive"].reshape(pred.shape)
        negative = a["negative"].reshape(pred.shape)
        loss = _batch_sum(jnp.square(positive - pred) - jnp.square(negative - pred), c["batch_axis"])
        return _weighting(_relu(loss + c["margin"]), c["weight"], None)

    return f


def poisson_nll(config, names):
    c = _take(
        config, {"weight": None, "from_logits": True, "batch_axis": 0, "compute_full": False}, "PoissonNLLLoss"
    )

    def f(*arrays):
        a = _args(names, arrays)
        pred = a["pred"]
        target = a["target"].reshape(pred.shape)
        epsilon = a.get("epsilon", 1e-08)
        if c["from_logits"]:
            loss = jnp.exp(pred) - target * pred
        else:
            loss = pred - target * jnp.log(pred + epsilon)
        if c["compute_full"]:
            stirling = target * jnp.log(target) - target + 0.5 * jnp.log(2 * target * math.pi)
            loss = loss + stirling * _mask(target > 1, target)
        loss = _weighting(loss, c["weight"], a.get("sample_weight"))
        # the mean over every element, batch_axis ignored; MXNet's result has shape (1,)
        return jnp.mean(loss).reshape((1,))

    return f


def cosine_embedding(config, names):
    c = _take(config, {"weight": None, "batch_axis": 0, "margin": 0}, "CosineEmbeddingLoss")

    def f(*arrays):
        a = _args(names, arrays)
        input2 = a["input2"]
        input1 = a["input1"].reshape(input2.shape)
        label = a["label"].reshape((-1, 1))
        x_norm = jnp.sqrt(jnp.sum(jnp.square(input1), axis=-1)).reshape((-1, 1))
        y_norm = jnp.sqrt(jnp.sum(jnp.square(input2), axis=-1)).reshape((-1, 1))
        dot = jnp.sum(input1 * input2, axis=-1).reshape((-1, 1))
        cos = dot / jnp.maximum(x_norm * y_norm, 1e-12)
        # broadcast_maximum(0, x) sends the gradient to the 0 at a tie: relu's 0 at 0
        loss = (1 - cos) * _mask(label == 1, cos) + _relu(_mask(label == -1, cos) * (cos - c["margin"]))
        return _weighting(loss, c["weight"], a.get("sample_weight"))

    return f


def sdml(config, names):
    c = _take(config, {"smoothing_parameter": 0.3, "weight": 1.0, "batch_axis": 0}, "SDMLLoss")
    s = c["smoothing_parameter"]

    def f(*arrays):
        a = _args(names, arrays)
        x1, x2 = a["x1"], a["x2"]
        batch = x1.shape[0]
        distances = jnp.sum(jnp.square(x1[:, None, :] - x2[None, :, :]), axis=2)
        gold = jnp.eye(batch, dtype=x1.dtype)
        # batch 1 divides by zero, as in MXNet (NaN, not an exception)
        labels = gold * (1 - s) + (1 - gold) * s / jnp.asarray(batch - 1, x1.dtype)
        log_p = jax.nn.log_softmax(-distances, axis=1)
        # KLDivLoss(from_logits=True), batch_axis 0: sums over axis 1; SDML's weight is never applied
        return jnp.sum(labels * (jnp.log(labels + 1e-12) - log_p), axis=1)

    return f


BUILDERS = {
    "L2Loss": l2,
    "L1Loss": l1,
    "SigmoidBinaryCrossEntropyLoss": sigmoid_bce,
    "SoftmaxCrossEntropyLoss": softmax_ce,
    "KLDivLoss": kl_div,
    "CTCLoss": ctc,
    "HuberLoss": huber,
    "HingeLoss": _hinge(False, "HingeLoss"),
    "SquaredHingeLoss": _hinge(True, "SquaredHingeLoss"),
    "LogisticLoss": logistic,
    "TripletLoss": triplet,
    "PoissonNLLLoss": poisson_nll,
    "CosineEmbeddingLoss": cosine_embedding,
    "SDMLLoss": sdml,
}


def _aliases():
    """Alias -> canonical name, from the spec's generated list (the one place for them)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "spec", "losses.json")
    with open(path) as f:
        return {alias: loss["name"] for loss in json.load(f)["losses"] for alias in loss["aliases"]}


ALIASES = _aliases()


def make_loss(loss, config, names):
    """The JAX function of the inputs `names` (MXNet's order) computing MXNet's loss."""
    builder = BUILDERS.get(ALIASES.get(loss, loss))
    if builder is None:
        raise NoAnchor(f"{loss}: no JAX version of this loss")
    return builder(config, names)
