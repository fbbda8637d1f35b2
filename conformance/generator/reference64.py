"""The float64 reference of a golden case: the same computation as MXNet's float32 run,
carried out in float64, so that a conformance check can tell float32 rounding (which a
backend may legitimately do differently) from a wrong result.

    reference64(loss_name, config, inputs, head, grads_of)
        -> {'loss': float64 array, 'grads': {name: float64 array}[, 'undefined': {name: bool array}]}

loss_name: a gluon.loss class name (an alias works); config: its constructor kwargs;
inputs: MXNet's input names to float32 arrays (or a bare float for a call-time scalar);
head: the head gradient, or None for backward() with MXNet's ones; grads_of: the inputs
to differentiate.

- Eleven losses: MXNet 1.9.1 itself (the real `gluon.loss` class, imperative classic
  NDArray mode, autograd), on the float32 inputs upcast to float64.
- PoissonNLLLoss(compute_full=True): MXNet cannot differentiate it at all (in-place
  updates), so forward and gradient come from the out-of-place restatement of the same
  operators (`PoissonNLLOutOfPlace`), in float64.
- CosineEmbeddingLoss and SDMLLoss raise on float64 in 1.9.1 only because they build a
  constant in float32 (`F.array([0])`, `F.array([1e-12])`, `F.eye(n)`) and mix it with
  the inputs; here the same classes run with those constants made float64.
- CTCLoss: MXNet's CTC operator has no float64 CPU kernel (it raises "data type do not
  match"), so `ctc64` below restates warp-ctc's CPU algorithm, as MXNet 1.9.1 bundles it,
  in numpy float64: softmax over channels with blank last, the alpha pass and the beta
  pass with their own skip rules and windows (docs/notes.md), loss 0 for a label that
  cannot fit and +inf where it fits by count but no path exists, the gradient with
  respect to the pre-softmax activations; labels and lengths that are not integers read
  as MXNet reads them (rounded), the gradient 0 from step int(pred_length) on. The
  weighting around it is MXNet's own, through autograd. (A pred length of 0 with an
  empty label gives +inf and a zero gradient here; MXNet corrupts its heap on it.)

Gradients MXNet leaves undefined (a CTC sample whose label cannot fit) are NaN in
`grads` and True in `undefined[name]`.

mxnet is imported on the first call, not at import: generate.py sets the engine and
oneDNN environment before anything imports mxnet. An importer that calls this without
generate.py should set MXNET_ENGINE_TYPE=NaiveEngine, OMP_NUM_THREADS=1 first (the
float64 results do not depend on them beyond the last bits).
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import INPUTS  # noqa: E402

ALIASES = {'SigmoidBCELoss': 'SigmoidBinaryCrossEntropyLoss', 'SoftmaxCELoss': 'SoftmaxCrossEntropyLoss'}


def canonical(loss_name: str) -> str:
    return ALIASES.get(loss_name, loss_name)


def positional_args(order, inputs, arrays):
    """MXNet's forward is positional: every input up to the last one given (None for
    the optional ones skipped), then any input the loss does not take (error cases)."""
    last = max((order.index(k) for k in inputs if k in order), default=-1)
    return [arrays.get(k, inputs.get(k)) for k in order[:last + 1]] + [arrays[k] for k in inputs if k not in order]


# --------------------------------------------------------------------- MXNet classes

@lru_cache(maxsize=None)
def restated_classes() -> dict:
    """The restated loss classes, built on first use (this imports mxnet)."""
    import mxnet as mx
    from mxnet import gluon, nd

    class PoissonNLLOutOfPlace(gluon.loss.PoissonNLLLoss):
        """PoissonNLLLoss.hybrid_forward of 1.9.1 with its two in-place updates written out
        of place, so that autograd can record it; every operator is the one MXNet uses."""

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

    class CosineEmbedding64(gluon.loss.CosineEmbeddingLoss):
        """CosineEmbeddingLoss.hybrid_forward of 1.9.1 (NDArray branch) with its two constants
        (the 0 of the hinge and the 1e-12 clamp) in the inputs' dtype instead of float32."""

        def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
            input1 = gluon.loss._reshape_like(F, input1, input2)
            label = label.reshape((-1, 1))
            cos_sim = self._cosine_similarity(F, input1, input2)
            y_1 = label == 1
            y_minus_1 = label == -1
            cos_sim_a = (1 - cos_sim) * y_1
            z_array = F.array([0], dtype=input2.dtype)
            cos_sim_b = F.broadcast_maximum(z_array, y_minus_1 * (cos_sim - self._margin), axis=1)
            loss = cos_sim_a + cos_sim_b
            return gluon.loss._apply_weighting(F, loss, self._weight, sample_weight)

        def _cosine_similarity(self, F, x, y, axis=-1):
            x_norm = F.norm(x, axis=axis).reshape((-1, 1))
            y_norm = F.norm(y, axis=axis).reshape((-1, 1))
            x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
            eps_arr = F.array([1e-12], dtype=y.dtype)
            return x_dot_y / F.broadcast_maximum(x_norm * y_norm, eps_arr)

    class SDML64(gluon.loss.SDMLLoss):
        """SDMLLoss of 1.9.1 with its smoothed identity target in float64 (F.eye's default
        is float32)."""

        def _compute_labels(self, F, batch_size):
            gold = F.eye(batch_size, dtype='float64')
            return gold * (1 - self.smoothing_parameter) + (1 - gold) * self.smoothing_parameter / (batch_size - 1)

    class CTC64(gluon.loss.CTCLoss):
        """CTCLoss.hybrid_forward of 1.9.1 with the CTC operator replaced by `ctc64`."""

        def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None):
            if self._layout == 'NTC':
                pred = F.swapaxes(pred, 0, 1)
            if self._batch_axis == 1:
                label = F.swapaxes(label, 0, 1)
            op = CtcOperator64(label.asnumpy(),
                               None if pred_lengths is None else pred_lengths.asnumpy(),
                               None if label_lengths is None else label_lengths.asnumpy())
            loss = op(pred)
            return gluon.loss._apply_weighting(F, loss, self._weight, sample_weight)

    class CtcOperator64(mx.autograd.Function):
        """MXNet's CTCLoss operator (TNC activations, NT label, blank last) in float64; its
        backward scales each sample's stored gradient by the incoming one, as MXNet's does."""

        def __init__(self, label, pred_lengths, label_lengths):
            super().__init__()
            self.label, self.pred_lengths, self.label_lengths = label, pred_lengths, label_lengths
            self.grad = None

        def forward(self, pred):
            loss, self.grad, _ = ctc64(pred.asnumpy().astype(np.float64), self.label, self.pred_lengths,
                                       self.label_lengths)
            return nd.array(loss, dtype='float64')

        def backward(self, dloss):
            return nd.array(self.grad * dloss.asnumpy()[None, :, None], dtype='float64')

    return {'PoissonNLLLoss': PoissonNLLOutOfPlace, 'CosineEmbeddingLoss': CosineEmbedding64, 'SDMLLoss': SDML64,
            'CTCLoss': CTC64}


# ----------------------------------------------------------------------------- CTC

def ctc_integer(x) -> int:
    """How MXNet's CTC operator reads a label, label length or pred length that is not an
    integer: to the nearest, halves away from zero (C's round; measured: 0.5 -> 1,
    2.5 -> 3, -0.5 -> -1, which is then padding)."""
    x = float(x)
    return int(np.sign(x) * np.floor(abs(x) + 0.5))


def ctc_label_rows(label: np.ndarray, label_lengths: np.ndarray | None) -> list[list[int]]:
    """The counted part of each label row (NT): its first label_lengths[b] values, or up to
    its first -1 (the padding of blank_label='last'), every value read by ctc_integer."""
    rows = []
    for b, row in enumerate(np.asarray(label)):
        values = [ctc_integer(v) for v in row]
        if label_lengths is not None:
            values = values[:ctc_integer(label_lengths[b])]
        elif -1 in values:
            values = values[:values.index(-1)]
        rows.append(values)
    return rows


def ctc_sample64(act: np.ndarray, labels: list[int]) -> tuple[float, np.ndarray | None]:
    """One sample: activations (T, C) float64 over its own T = pred_length steps, the
    counted label. Returns (loss, gradient (T, C)), the gradient None where MXNet leaves it
    undefined (the label cannot fit: loss 0). The caller silences numpy's warnings: -inf
    (log 0) is an ordinary value here, and np.logaddexp is warp-ctc's log_plus, -inf
    absorbing and NaN propagating."""
    steps, channels = act.shape
    blank = channels - 1
    count = len(labels)
    repeats = sum(1 for a, b in zip(labels, labels[1:]) if a == b)
    min_steps = count + repeats
    if min_steps > steps:
        return 0.0, None
    if steps == 0:  # nothing to read: the log-likelihood stays -inf
        return np.inf, np.zeros((0, channels))

    shifted = act - act.max(axis=1, keepdims=True)  # an infinite activation gives NaN, as in MXNet
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(logp)

    states = 2 * count + 1
    ext = np.full(states, blank, dtype=np.int64)
    ext[1::2] = labels
    # warp-ctc's window steps: a repeated label advances the window one state at a time.
    start_inc, end_inc = [1], []
    for a, b in zip(labels, labels[1:]):
        if a == b:
            start_inc += [1, 1]
            end_inc += [1, 1]
        else:
            start_inc += [2]
            end_inc += [2]
    end_inc += [1]
    idx = np.arange(states)
    # Alpha may skip into state i unless it is a blank or equals the label two back.
    alpha_skip = (ext != blank) & (idx != 1) & (idx >= 2) & (ext != np.roll(ext, 2))
    # Beta may skip out of state i unless it is a blank or equals the label two ahead.
    beta_skip = (ext != blank) & (idx != states - 2) & (idx + 2 < states) & (ext != np.roll(ext, -2))

    alpha = np.full((steps, states), -np.inf)
    start = 0 if min_steps - steps < 0 else 1
    end = 2 if states > 1 else 1
    alpha[0, start:end] = logp[0, ext[start:end]]
    for t in range(1, steps):
        remain = min_steps - (steps - t)
        if remain >= 0:
            start += start_inc[remain]
        if t <= min_steps:
            end += end_inc[t - 1]
        prev = alpha[t - 1]
        first = start
        if start == 0:
            alpha[t, 0] = prev[0] + logp[t, blank]
            first = 1
        i = np.arange(first, end)
        total = np.logaddexp(prev[i], prev[i - 1])
        skip = alpha_skip[i]
        total[skip] = np.logaddexp(total[skip], prev[i[skip] - 2])
        alpha[t, i] = total + logp[t, ext[i]]
    log_likelihood = -np.inf
    for v in alpha[steps - 1, start:end]:
        log_likelihood = float(np.logaddexp(log_likelihood, v))

    grad = np.zeros((steps, channels))

    # The states grouped by channel (stably, so each group sums in state order).
    by_channel = np.argsort(ext, kind='stable')
    channel_of_group, group_starts = np.unique(ext[by_channel], return_index=True)

    def step_grad(t: int, ab_states: np.ndarray, ab: np.ndarray) -> None:
        ab_all = np.full(states, -np.inf)
        ab_all[ab_states] = ab
        output = np.full(channels, -np.inf)
        # log-sum of alpha*beta per channel
        output[channel_of_group] = np.logaddexp.reduceat(ab_all[by_channel], group_starts)
        posterior = np.exp(output - logp[t] - log_likelihood)
        # warp-ctc: a channel whose summed alpha*beta is exactly 0.0 (log) or -inf, or
        # whose probability is 0, gets the softmax alone.
        plain = (output == 0.0) | (output == -np.inf) | (probs[t] == 0.0)
        grad[t] = np.where(plain, probs[t], probs[t] - posterior)

    # Beta: one column updated in place, as warp-ctc does (states outside the window keep
    # what they last held).
    beta = np.full(states, -np.inf)
    start = states - 2 if states > 1 else 0
    end = states if steps > min_steps else states - 1
    i = np.arange(start, end)
    beta[i] = logp[steps - 1, ext[i]]
    step_grad(steps - 1, i, alpha[steps - 1, i] + beta[i])
    for t in range(steps - 2, -1, -1):
        remain = min_steps - (steps - t)
        if remain >= -1:
            start -= start_inc[remain + 1]
        if t < min_steps:
            end -= end_inc[t]
        last = end - 1 if end == states else end
        old = beta.copy()
        i = np.arange(start, last)
        total = np.logaddexp(old[i], old[i + 1])
        skip = beta_skip[i]
        total[skip] = np.logaddexp(total[skip], old[i[skip] + 2])
        beta[i] = total + logp[t, ext[i]]
        if end == states:
            beta[states - 1] = old[states - 1] + logp[t, blank]
            i = np.append(i, states - 1)
        step_grad(t, i, alpha[t, i] + beta[i])
    return -log_likelihood, grad


def ctc64(pred: np.ndarray, label: np.ndarray, pred_lengths: np.ndarray | None,
          label_lengths: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MXNet's CTCLoss operator on TNC activations and an NT label, blank last, in float64:
    (loss (N,), gradient (T, N, C) unscaled, undefined mask (T, N, C))."""
    steps_all, n, channels = pred.shape
    rows = ctc_label_rows(label, label_lengths)
    loss = np.zeros(n)
    grad = np.zeros(pred.shape)
    undefined = np.zeros(pred.shape, dtype=bool)
    for b in range(n):
        steps = steps_all if pred_lengths is None else ctc_integer(pred_lengths[b])
        with np.errstate(all='ignore'):
            loss[b], g = ctc_sample64(pred[:steps, b, :], rows[b])
        if g is None:
            undefined[:, b, :] = True
            grad[:, b, :] = np.nan
        else:
            # MXNet zeroes the gradient from step int(pred_length) on, truncating where the
            # loss rounded (measured: a length of 4.5 gives a loss over 5 steps and a
            # gradient over 4).
            kept = steps if pred_lengths is None else min(steps, int(float(pred_lengths[b])))
            grad[:kept, b, :] = g[:kept]
    return loss, grad, undefined


# ------------------------------------------------------------------------ the entry

def reference64(loss_name: str, config: dict, inputs: dict, head: np.ndarray | None, grads_of: list) -> dict:
    """The float64 reference of one call: `inputs` by MXNet's names (float32 arrays, or a
    bare float for a call-time scalar), `head` the head gradient of the loss (None:
    MXNet's default, ones), `grads_of` the inputs to differentiate. Returns {'loss', 'grads'} as float64 arrays, and
    'undefined' ({name: bool mask}) where MXNet leaves gradient elements undefined.
    Raises whatever MXNet raises for a call it rejects."""
    from mxnet import autograd, gluon, nd

    name = canonical(loss_name)
    order = INPUTS[name]
    config = dict(config)
    if name == 'PoissonNLLLoss' and config.get('compute_full'):
        block = restated_classes()['PoissonNLLLoss'](**config)
    elif name in ('CosineEmbeddingLoss', 'SDMLLoss', 'CTCLoss'):
        block = restated_classes()[name](**config)
    else:
        block = getattr(gluon.loss, loss_name)(**config)
    arrays = {k: nd.array(np.asarray(v, dtype=np.float64), dtype='float64')
              for k, v in inputs.items() if not np.isscalar(v)}
    for k in grads_of:
        arrays[k].attach_grad()
    with autograd.record():
        out = block(*positional_args(order, inputs, arrays))
    if head is None:  # backward() without a head gradient: MXNet's ones
        out.backward()
    else:
        out.backward(nd.array(np.asarray(head, dtype=np.float64), dtype='float64'))
    loss = out.asnumpy()
    grads = {k: arrays[k].grad.asnumpy() for k in grads_of}
    if out.dtype != np.float64 or any(g.dtype != np.float64 for g in grads.values()):
        raise TypeError(f'{loss_name}: the float64 reference computed in {out.dtype}')
    result = {'loss': loss, 'grads': grads}
    if name == 'CTCLoss' and 'pred' in grads:
        undefined = ctc_undefined(inputs, config)
        if undefined.any():
            grads['pred'] = np.where(undefined, np.nan, grads['pred'])
            result['undefined'] = {'pred': undefined}
    return result


def ctc_undefined(inputs: dict, config: dict) -> np.ndarray:
    """Where MXNet leaves CTC's pred gradient undefined, in pred's own layout."""
    pred = np.asarray(inputs['pred'])
    tnc = pred if config.get('layout', 'NTC') == 'TNC' else pred.transpose(1, 0, 2)
    label = np.asarray(inputs['label'])
    if config.get('label_layout', 'NT') == 'TN':
        label = label.T
    pl = inputs.get('pred_lengths')
    ll = inputs.get('label_lengths')
    mask = np.zeros(tnc.shape, dtype=bool)
    for b, row in enumerate(ctc_label_rows(label, None if ll is None else np.asarray(ll))):
        steps = tnc.shape[0] if pl is None else ctc_integer(np.asarray(pl)[b])
        repeats = sum(1 for a, c in zip(row, row[1:]) if a == c)
        mask[:, b, :] = len(row) + repeats > steps
    return mask if config.get('layout', 'NTC') == 'TNC' else mask.transpose(1, 0, 2)
