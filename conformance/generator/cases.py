"""The golden case list: every case that conformance/golden/*.json holds, loss by loss.

A case names its config (MXNet's constructor kwargs), builds its inputs from a
per-case random generator (seeded by the case name, so adding a case never changes
another), and says whether MXNet must reject it. The generator runs each one through
MXNet 1.9.1 and records what MXNet does; nothing here states an expected value.

Adding a loss: one function below, registered in CASES (the losses themselves, their order
and their inputs come from the spec's registry, packages/spec/losses.json).
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional
import json
import zlib

import numpy as np

# The losses in MXNet's order, and each one's positional forward signature (hybrid_forward
# after F), from the spec's registry: `pnpm docs` writes packages/spec/losses.json, and a
# spec test keeps it in step. Which inputs MXNet's autograd differentiates (integer-valued
# and compared-only inputs are left out) is stated below; a spec test checks the goldens.
REGISTRY = Path(__file__).resolve().parents[2] / 'packages' / 'spec' / 'losses.json'
INPUTS: Dict[str, List[str]] = {
    loss['name']: loss['inputs'] for loss in json.loads(REGISTRY.read_text())['losses']
}

NOT_DIFFERENTIABLE = {'pred_lengths', 'label_lengths', 'epsilon'}


def differentiable(loss: str, config: dict, name: str) -> bool:
    if name in NOT_DIFFERENTIABLE:
        return False
    if loss == 'CTCLoss' and name == 'label':
        return False
    if loss == 'CosineEmbeddingLoss' and name == 'label':
        return False  # only compared with 1 and -1
    if loss == 'SoftmaxCrossEntropyLoss' and name == 'label':
        return not config.get('sparse_label', True)  # a sparse label is an index
    return True


class Rand:
    """float32 inputs from a generator seeded by the case's name."""

    def __init__(self, name: str):
        self.g = np.random.default_rng(zlib.crc32(name.encode()))

    def normal(self, shape, scale=1.0):
        return (self.g.standard_normal(shape) * scale).astype(np.float32)

    def uniform(self, shape, lo, hi):
        return self.g.uniform(lo, hi, shape).astype(np.float32)

    def signs(self, shape):
        return np.where(self.g.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)

    def binary(self, shape):
        return (self.g.random(shape) < 0.5).astype(np.float32)

    def ints(self, shape, lo, hi):
        return self.g.integers(lo, hi, shape).astype(np.float32)

    def softmax(self, shape, axis=-1):
        x = self.g.standard_normal(shape)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)

    def log_softmax(self, shape, axis=-1):
        x = self.g.standard_normal(shape) * 2
        m = x.max(axis=axis, keepdims=True)
        return (x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).astype(np.float32)


@dataclass
class Case:
    name: str                 # 'case-name'; the golden name is 'Loss/case-name'
    description: str
    build: Callable[[Rand], Dict[str, object]]
    config: dict = field(default_factory=dict)
    error: Optional[str] = None   # 'config' or 'input': MXNet must reject it
    int32: tuple = ()             # inputs recorded as int32 (their values are integers)
    alias: Optional[str] = None   # construct the loss by this alias
    check: Optional[Callable[[np.ndarray], None]] = None  # MXNet's own expectation
    # MXNet 1.9.1 cannot differentiate PoissonNLLLoss(compute_full=True) at all: its
    # imperative code updates the loss in place (`*=`, `+=`), which autograd refuses, and
    # the symbolic graph has no `*=`. For these cases the forward comes from the real class
    # and the gradient from the same operators written out of place (generate.py checks the
    # two forwards are identical).
    out_of_place_grad: bool = False


def f32(x):
    return np.asarray(x, dtype=np.float32)


def assert_close(expected, rtol=1e-4, atol=1e-3):
    """MXNet's test_utils.assert_almost_equal defaults for float32."""
    def check(out):
        np.testing.assert_allclose(out, np.asarray(expected), rtol=rtol, atol=atol)
    return check


def assert_sum(expected):
    def check(out):
        assert float(np.sum(out, dtype=np.float64)) == expected, (float(np.sum(out)), expected)
    return check


# ---------------------------------------------------------------------------------
# The losses that compare pred with a same-sized label element by element.

def elementwise_cases(label: Callable[[Rand, tuple], np.ndarray]) -> List[Case]:
    """Shapes, batch axes, sample_weight broadcasts and bad shapes, shared by the
    element-wise losses. `label(r, shape)` draws a label suited to the loss."""
    def pl(shape, label_shape=None):
        return lambda r: {'pred': r.normal(shape, 2.0), 'label': label(r, label_shape or shape)}

    def with_sw(shape, sw_shape, **extra):
        return lambda r: {'pred': r.normal(shape, 2.0), 'label': label(r, shape),
                          'sample_weight': r.uniform(sw_shape, 0.0, 2.0)}

    return [
        Case('1d', '1-D pred: the loss is per element, nothing to average.', pl((5,))),
        Case('2d', '2-D pred, mean over the non-batch axis.', pl((4, 3))),
        Case('3d', '3-D pred.', pl((2, 3, 4))),
        Case('4d', '4-D pred.', pl((2, 2, 3, 2))),
        Case('label-reshaped', 'label has another shape with the same size: MXNet reshapes it to pred.',
             pl((4, 3), (12,))),
        Case('batch-axis-1', 'batch_axis=1: mean over axis 0.', pl((3, 4)), {'batch_axis': 1}),
        Case('batch-axis-1-3d', 'batch_axis=1 on a 3-D pred.', pl((2, 3, 4)), {'batch_axis': 1}),
        Case('batch-axis-negative', 'batch_axis=-1 counts from the end.', pl((3, 4)), {'batch_axis': -1}),
        Case('batch-of-one', 'A batch of one sample.', pl((1, 6))),
        Case('sample-weight-per-sample', 'sample_weight (N, 1).', with_sw((4, 3), (4, 1))),
        Case('sample-weight-per-element', 'sample_weight with pred\'s shape.', with_sw((4, 3), (4, 3))),
        Case('sample-weight-broadcast-row', 'sample_weight (C,) broadcast over the batch.', with_sw((4, 3), (3,))),
        Case('sample-weight-3d', 'sample_weight (N, 1, K) on a 3-D pred.', with_sw((2, 3, 4), (2, 1, 4))),
        Case('sample-weight-expands-loss', '1-D pred (3,) with sample_weight (3, 1): the weighted loss '
             'broadcasts to (3, 3) and is averaged per row.', with_sw((3,), (3, 1))),
        Case('sample-weight-batch-axis-1', 'sample_weight (1, N) with batch_axis=1.', with_sw((3, 4), (1, 4)),
             {'batch_axis': 1}),
        Case('weight', 'A scalar weight.', pl((4, 3)), {'weight': 0.5}),
        Case('weight-negative', 'A negative scalar weight.', pl((3, 2)), {'weight': -2.0}),
        Case('large-values', 'Inputs of magnitude up to 100.',
             lambda r: {'pred': r.uniform((4, 3), -100, 100), 'label': label(r, (4, 3)) * 50}),
        Case('error-label-size', 'label with a different number of elements.',
             lambda r: {'pred': r.normal((2, 3)), 'label': label(r, (5,))}, error='input'),
        Case('error-sample-weight-shape', 'sample_weight that does not broadcast against the loss.',
             lambda r: {'pred': r.normal((2, 3)), 'label': label(r, (2, 3)), 'sample_weight': r.normal((2,))},
             error='input'),
        Case('error-batch-axis', 'batch_axis beyond the loss\'s axes.', pl((2, 3)), {'batch_axis': 2}, error='input'),
        Case('error-weight-not-a-number', 'weight that is not a number.', pl((2, 3)), {'weight': 'heavy'},
             error='config'),
    ]


def signed_label(r, shape):
    return r.signs(shape)


def real_label(r, shape):
    return r.normal(shape, 2.0)


def l2_cases():
    out = [c for c in elementwise_cases(real_label) if c.name not in ('weight',)]
    mx_out, mx_label, mx_w = [1, 2, 3, 4], [1, 3, 5, 7], [0.5, 1, 0.5, 1]
    out += [
        Case('default-weight-halves', 'Default weight 1: MXNet applies weight / 2.', lambda r: {
            'pred': r.normal((4, 3), 2.0), 'label': r.normal((4, 3), 2.0)}),
        Case('weight', 'weight=0.5, applied as 0.25.', lambda r: {
            'pred': r.normal((4, 3), 2.0), 'label': r.normal((4, 3), 2.0)}, {'weight': 0.5}),
        Case('int32-label', 'An int32 label.', lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.ints((4, 3), -3, 4)},
             int32=('label',)),
        Case('mxnet-test-sum', "MXNet's test_loss.py: the losses sum to 7.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label)}, check=assert_sum(7.0)),
        Case('mxnet-test-weight', "MXNet's test_loss.py: weight=0.25 sums to 1.75.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label)}, {'weight': 0.25}, check=assert_sum(1.75)),
        Case('mxnet-test-sample-weight', "MXNet's test_loss.py: with sample_weight the losses sum to 6.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label), 'sample_weight': f32(mx_w)},
             check=assert_sum(6.0)),
        Case('error-weight-none', 'weight=None: MXNet raises TypeError (None / 2) at the call.',
             lambda r: {'pred': r.normal((2, 3)), 'label': r.normal((2, 3))}, {'weight': None}, error='config'),
    ]
    return out


def l1_cases():
    mx_out, mx_label, mx_w = [1, 2, 3, 4], [1, 3, 5, 7], [0.5, 1, 0.5, 1]
    return elementwise_cases(real_label) + [
        Case('zero-difference', 'pred == label in places: the gradient of abs at 0 is 0.', lambda r: (lambda p: {
            'pred': p, 'label': np.where(r.binary((4, 3)) > 0, p, r.normal((4, 3))).astype(np.float32)})(r.normal((4, 3)))),
        Case('int32-label', 'An int32 label.', lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.ints((4, 3), -3, 4)},
             int32=('label',)),
        Case('mxnet-test-sum', "MXNet's test_loss.py: the losses sum to 6.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label)}, check=assert_sum(6.0)),
        Case('mxnet-test-weight', "MXNet's test_loss.py: weight=0.5 sums to 3.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label)}, {'weight': 0.5}, check=assert_sum(3.0)),
        Case('mxnet-test-sample-weight', "MXNet's test_loss.py: with sample_weight the losses sum to 5.",
             lambda r: {'pred': f32(mx_out), 'label': f32(mx_label), 'sample_weight': f32(mx_w)},
             check=assert_sum(5.0)),
    ]


def huber_cases():
    def at_rho(rho):
        # |label - pred| == rho exactly (quarters are exact in float32): the quadratic branch.
        def build(r):
            pred = (r.ints((4, 3), -8, 8) / 4).astype(np.float32)
            sign = r.signs((4, 3))
            return {'pred': pred, 'label': (pred + sign * rho).astype(np.float32)}
        return build
    return elementwise_cases(real_label) + [
        Case('rho-half', 'rho=0.5.', lambda r: {'pred': r.normal((4, 5), 1.0), 'label': r.normal((4, 5), 1.0)},
             {'rho': 0.5}),
        Case('rho-2', 'rho=2.', lambda r: {'pred': r.normal((4, 5), 2.0), 'label': r.normal((4, 5), 2.0)}, {'rho': 2}),
        Case('at-rho', '|label - pred| == rho exactly: MXNet takes the quadratic branch.', at_rho(1.0)),
        Case('at-rho-half', '|label - pred| == rho == 0.5 exactly.', at_rho(0.5), {'rho': 0.5}),
        Case('zero-difference', 'pred == label: loss and gradient 0.', lambda r: (lambda p: {'pred': p, 'label': p.copy()})(
            r.normal((3, 4)))),
        Case('int32-label', 'An int32 label.', lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.ints((4, 3), -3, 4)},
             int32=('label',)),
    ]


def hinge_like_cases():
    def at_margin(margin):
        # pred * label == margin exactly: relu at 0, whose gradient MXNet takes as 0.
        def build(r):
            label = r.signs((4, 3))
            pred = (label * margin).astype(np.float32)
            pred[0] = r.normal((3,))
            return {'pred': pred, 'label': label}
        return build
    return elementwise_cases(signed_label) + [
        Case('margin-0', 'margin=0.', lambda r: {'pred': r.normal((4, 3)), 'label': r.signs((4, 3))}, {'margin': 0}),
        Case('margin-2', 'margin=2.', lambda r: {'pred': r.normal((4, 3)), 'label': r.signs((4, 3))}, {'margin': 2.0}),
        Case('at-margin', 'pred * label == margin exactly: relu\'s gradient at 0 is 0.', at_margin(1.0)),
        Case('all-beyond-margin', 'Every pred beyond the margin: loss and gradient 0.', lambda r: (lambda l: {
            'pred': (l * r.uniform((4, 3), 1.5, 3.0)).astype(np.float32), 'label': l})(r.signs((4, 3)))),
        Case('real-valued-label', 'A label that is not -1/1 is used as it is.',
             lambda r: {'pred': r.normal((4, 3)), 'label': r.normal((4, 3))}),
        Case('int32-label', 'An int32 label of -1 and 1.', lambda r: {'pred': r.normal((4, 3)), 'label': r.signs((4, 3))},
             int32=('label',)),
    ]


def logistic_cases():
    return elementwise_cases(signed_label) + [
        Case('binary', "label_format='binary' with 0/1 labels.",
             lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.binary((4, 3))}, {'label_format': 'binary'}),
        Case('signed-explicit', "label_format='signed' given explicitly.",
             lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.signs((4, 3))}, {'label_format': 'signed'}),
        Case('extreme-logits', 'Logits of +-100: the stable formula neither overflows nor loses the gradient.',
             lambda r: {'pred': f32([[100, -100, 50], [-50, 30, -30]]), 'label': r.signs((2, 3))}),
        Case('binary-extreme-logits', 'Binary labels with logits of +-100.',
             lambda r: {'pred': f32([[100, -100, 0], [-80, 80, 1e-3]]), 'label': f32([[1, 0, 1], [1, 0, 0]])},
             {'label_format': 'binary'}),
        Case('int32-label', 'An int32 signed label.', lambda r: {'pred': r.normal((4, 3)), 'label': r.signs((4, 3))},
             int32=('label',)),
        Case('error-label-format', "label_format='onehot': MXNet raises ValueError in the constructor.",
             lambda r: {'pred': r.normal((2, 3)), 'label': r.signs((2, 3))}, {'label_format': 'onehot'},
             error='config'),
    ]


def bce_cases():
    def prob_label(r, shape):
        return r.uniform(shape, 0.0, 1.0)

    def bce(shape, **kw):
        return lambda r: {'pred': r.normal(shape, 2.0), 'label': r.binary(shape), **{k: v(r) for k, v in kw.items()}}

    out = elementwise_cases(prob_label)
    out += [
        Case('from-sigmoid', 'from_sigmoid=True: pred is a probability.',
             lambda r: {'pred': r.uniform((4, 3), 0.01, 0.99), 'label': r.binary((4, 3))}, {'from_sigmoid': True}),
        Case('from-sigmoid-false-explicit', 'from_sigmoid=False given explicitly, soft labels.',
             lambda r: {'pred': r.normal((4, 3), 2.0), 'label': r.uniform((4, 3), 0, 1)}, {'from_sigmoid': False}),
        Case('from-sigmoid-exact-0-and-1', 'Probabilities of exactly 0 and 1: the 1e-12 keeps the log finite.',
             lambda r: {'pred': f32([[0, 1, 0.5], [1, 0, 0.25]]), 'label': f32([[0, 1, 1], [0, 1, 0]])},
             {'from_sigmoid': True}),
        Case('from-sigmoid-wrong-side', 'Probability 0 for a positive label and 1 for a negative one.',
             lambda r: {'pred': f32([[0, 1], [1, 0]]), 'label': f32([[1, 0], [0, 1]])}, {'from_sigmoid': True}),
        Case('extreme-logits', 'Logits of +-100.',
             lambda r: {'pred': f32([[100, -100, 50], [-50, 30, -30]]), 'label': f32([[1, 0, 0], [1, 1, 0]])}),
        Case('pos-weight-per-class', 'pos_weight (C,) broadcast over the batch.',
             bce((4, 3), pos_weight=lambda r: r.uniform((3,), 0.5, 3.0))),
        Case('pos-weight-row', 'pos_weight (1, C).', bce((4, 3), pos_weight=lambda r: r.uniform((1, 3), 0.5, 3.0))),
        Case('pos-weight-per-sample', 'pos_weight (N, 1).', bce((4, 3), pos_weight=lambda r: r.uniform((4, 1), 0.5, 3.0))),
        Case('pos-weight-full', 'pos_weight with pred\'s shape.', bce((4, 3), pos_weight=lambda r: r.uniform((4, 3), 0.5, 3.0))),
        Case('pos-weight-expands-loss', 'pos_weight (2, 1, 3) on pred (4, 3): the loss broadcasts to (2, 4, 3).',
             bce((4, 3), pos_weight=lambda r: r.uniform((2, 1, 3), 0.5, 3.0))),
        Case('pos-weight-extreme-logits', 'pos_weight with logits of +-100.',
             lambda r: {'pred': f32([[100, -100, 50], [-50, 30, -30]]), 'label': f32([[1, 0, 0], [1, 1, 0]]),
                        'pos_weight': f32([2.0, 0.5, 1.0])}),
        Case('pos-weight-and-sample-weight', 'pos_weight and sample_weight together.',
             bce((4, 3), pos_weight=lambda r: r.uniform((3,), 0.5, 3.0), sample_weight=lambda r: r.uniform((4, 1), 0, 2))),
        Case('from-sigmoid-pos-weight', 'from_sigmoid with pos_weight.',
             lambda r: {'pred': r.uniform((4, 3), 0.01, 0.99), 'label': r.binary((4, 3)),
                        'pos_weight': r.uniform((3,), 0.5, 3.0)}, {'from_sigmoid': True}),
        Case('alias', 'Constructed as SigmoidBCELoss.', bce((3, 4)), alias='SigmoidBCELoss'),
        Case('error-pos-weight-shape', 'pos_weight that does not broadcast against pred.',
             bce((2, 3), pos_weight=lambda r: r.uniform((3, 1), 0.5, 2)), error='input'),
    ]
    return out


# ---------------------------------------------------------------------------------

def softmax_ce_cases():
    def sparse(shape, axis=-1, **kw):
        def build(r):
            c = shape[axis]
            label_shape = tuple(d for i, d in enumerate(shape) if i != (axis % len(shape)))
            return {'pred': r.normal(shape, 2.0), 'label': r.ints(label_shape, 0, c),
                    **{k: v(r) for k, v in kw.items()}}
        return build
    mx_pred, mx_label = [[0, 2], [1, 4]], [0, 1]
    return [
        Case('mxnet-test', "MXNet's test_loss.py values.", lambda r: {'pred': f32(mx_pred), 'label': f32(mx_label)},
             check=assert_close([2.12692809, 0.04858733])),
        Case('mxnet-test-weighted', "MXNet's test_loss.py with sample_weight (N, 1).",
             lambda r: {'pred': f32(mx_pred), 'label': f32(mx_label), 'sample_weight': f32([[0.5], [1.0]])},
             check=assert_close([1.06346405, 0.04858733])),
        Case('2d', 'Sparse labels, (N, C).', sparse((4, 5))),
        Case('1d', 'A single sample of C logits with a (1,) label.', lambda r: {'pred': r.normal((5,)), 'label': f32([3])}),
        Case('label-keepdims', 'A sparse label of shape (N, 1).', lambda r: {'pred': r.normal((4, 5), 2.0),
                                                                            'label': r.ints((4, 1), 0, 5)}),
        Case('3d', 'Sparse labels over the last axis of (N, T, C).', sparse((2, 3, 5))),
        Case('4d', 'Sparse labels over the last axis of a 4-D pred.', sparse((2, 2, 3, 4))),
        Case('axis-1-3d', 'axis=1 on (N, C, T).', sparse((2, 4, 3), axis=1), {'axis': 1}),
        Case('axis-0-batch-axis-1', 'axis=0 and batch_axis=1: classes first.', sparse((5, 4), axis=0),
             {'axis': 0, 'batch_axis': 1}),
        Case('batch-axis-1-3d', 'batch_axis=1 on (T, N, C).', sparse((3, 2, 5)), {'batch_axis': 1}),
        Case('dense', 'sparse_label=False: a probability distribution per sample.',
             lambda r: {'pred': r.normal((4, 5), 2.0), 'label': r.softmax((4, 5))}, {'sparse_label': False}),
        Case('dense-label-reshaped', 'A dense label of another shape with the same size.',
             lambda r: {'pred': r.normal((4, 5), 2.0), 'label': r.softmax((4, 5)).reshape(20)}, {'sparse_label': False}),
        Case('dense-axis-1-3d', 'A dense label with axis=1.',
             lambda r: {'pred': r.normal((2, 4, 3), 2.0), 'label': r.softmax((2, 4, 3), axis=1)},
             {'sparse_label': False, 'axis': 1}),
        Case('from-logits', 'from_logits=True: pred already is a log-probability.',
             lambda r: {'pred': r.log_softmax((4, 5)), 'label': r.ints((4,), 0, 5)}, {'from_logits': True}),
        Case('from-logits-dense', 'from_logits with a dense label.',
             lambda r: {'pred': r.log_softmax((4, 5)), 'label': r.softmax((4, 5))},
             {'from_logits': True, 'sparse_label': False}),
        Case('sample-weight-keepdims', 'sample_weight (N, 1) matches the (N, 1) loss.',
             sparse((4, 5), sample_weight=lambda r: r.uniform((4, 1), 0, 2))),
        Case('sample-weight-n-broadcasts-to-nxn', 'sample_weight (N,) broadcasts against the (N, 1) loss to (N, N): '
             'row i becomes loss_i * mean(sample_weight).', sparse((4, 5), sample_weight=lambda r: r.uniform((4,), 0, 2))),
        Case('sample-weight-3d', 'sample_weight (N, T, 1) on (N, T, C).',
             sparse((2, 3, 5), sample_weight=lambda r: r.uniform((2, 3, 1), 0, 2))),
        Case('label-out-of-range-clipped', "Labels outside [0, C): pick's 'clip' mode clips them.",
             lambda r: {'pred': r.normal((4, 5), 2.0), 'label': f32([7, -3, 2, 5])}),
        Case('label-fractional-truncated', 'Fractional labels are cast toward zero.',
             lambda r: {'pred': r.normal((4, 3), 2.0), 'label': f32([2.7, -0.5, 1.9999, 0.2])}),
        Case('extreme-logits', 'Logits of +-100.',
             lambda r: {'pred': f32([[100, -100, 0], [-100, 100, 50], [0, 0, 0]]), 'label': f32([0, 0, 2])}),
        Case('int32-label', 'An int32 sparse label.', sparse((4, 5)), int32=('label',)),
        Case('weight', 'A scalar weight.', sparse((4, 5)), {'weight': 2.5}),
        Case('alias', 'Constructed as SoftmaxCELoss.', sparse((3, 4)), alias='SoftmaxCELoss'),
        Case('error-label-shape', 'A sparse label that is neither pred without the class axis nor with it as 1.',
             lambda r: {'pred': r.normal((4, 5)), 'label': r.ints((5,), 0, 4)}, error='input'),
        Case('error-axis', 'axis beyond pred\'s axes.', lambda r: {'pred': r.normal((4, 5)), 'label': r.ints((4,), 0, 5)},
             {'axis': 3}, error='input'),
        Case('error-dense-label-size', 'A dense label with another number of elements.',
             lambda r: {'pred': r.normal((4, 5)), 'label': r.softmax((4, 4))}, {'sparse_label': False}, error='input'),
    ]


def kl_div_cases():
    def logp(shape, label_shape=None, **kw):
        return lambda r: {'pred': r.log_softmax(shape), 'label': r.softmax(label_shape or shape),
                          **{k: v(r) for k, v in kw.items()}}
    return [
        Case('2d', 'from_logits (default): pred is a log-probability; the loss sums (1.9.x).', logp((4, 5))),
        Case('1d', 'A 1-D pred.', logp((5,))),
        Case('3d', 'A 3-D pred.', logp((2, 3, 4))),
        Case('4d', 'A 4-D pred.', logp((2, 2, 2, 3))),
        Case('from-logits-false', 'from_logits=False: log_softmax over the last axis first.',
             lambda r: {'pred': r.normal((4, 5), 2.0), 'label': r.softmax((4, 5))}, {'from_logits': False}),
        Case('from-logits-false-axis-1', 'from_logits=False with axis=1 on a 3-D pred.',
             lambda r: {'pred': r.normal((2, 4, 3), 2.0), 'label': r.softmax((2, 4, 3), axis=1)},
             {'from_logits': False, 'axis': 1}),
        Case('from-logits-false-axis-0', 'from_logits=False with axis=0.',
             lambda r: {'pred': r.normal((3, 4), 2.0), 'label': r.softmax((3, 4), axis=0)},
             {'from_logits': False, 'axis': 0}),
        Case('label-broadcast', 'A label (C,) broadcast against pred (N, C): no reshape in KLDivLoss.',
             logp((4, 5), (5,))),
        Case('pred-broadcast', 'A pred (1, C) broadcast against the label (N, C).', logp((1, 5), (4, 5))),
        Case('label-zeros', 'Label entries of exactly 0 contribute 0 (label * log(label + 1e-12)).',
             lambda r: {'pred': r.log_softmax((3, 4)), 'label': f32([[0, 0, 1, 0], [0.5, 0.5, 0, 0], [0.25, 0.25, 0.25, 0.25]])}),
        Case('batch-axis-1', 'batch_axis=1: sum over axis 0.', logp((3, 4)), {'batch_axis': 1}),
        Case('sample-weight-per-sample', 'sample_weight (N, 1).', logp((4, 5), sample_weight=lambda r: r.uniform((4, 1), 0, 2))),
        Case('sample-weight-per-element', 'sample_weight with pred\'s shape.',
             logp((4, 5), sample_weight=lambda r: r.uniform((4, 5), 0, 2))),
        Case('sample-weight-broadcast-row', 'sample_weight (C,).', logp((4, 5), sample_weight=lambda r: r.uniform((5,), 0, 2))),
        Case('weight', 'A scalar weight.', logp((4, 5)), {'weight': 0.3}),
        Case('int32-label', 'A one-hot int32 label.', lambda r: {'pred': r.log_softmax((4, 3)),
                                                                 'label': np.eye(3, dtype=np.float32)[[0, 2, 1, 1]]},
             int32=('label',)),
        Case('error-label-shape', 'A label that does not broadcast against pred.', logp((2, 3), (6,)), error='input'),
        Case('error-axis', 'from_logits=False with an axis beyond pred\'s axes.',
             lambda r: {'pred': r.normal((2, 3)), 'label': r.softmax((2, 3))}, {'from_logits': False, 'axis': 2},
             error='input'),
    ]


def ctc_cases():
    def ctc(n, t, c, labels, pred_lengths=None, label_lengths=None, scale=1.0, layout='NTC', label_layout='NT',
            sample_weight=None):
        def build(r):
            pred = r.normal((n, t, c), scale)
            if layout == 'TNC':
                pred = np.ascontiguousarray(pred.transpose(1, 0, 2))
            lab = f32(labels)
            if label_layout == 'TN':
                lab = np.ascontiguousarray(lab.T)
            out = {'pred': pred, 'label': lab}
            if pred_lengths is not None:
                out['pred_lengths'] = f32(pred_lengths)
            if label_lengths is not None:
                out['label_lengths'] = f32(label_lengths)
            if sample_weight is not None:
                out['sample_weight'] = r.uniform(sample_weight, 0.5, 2.0)
            return out
        return build

    def ones(shape, labels, pred_lengths=None, label_lengths=None):
        def build(r):
            out = {'pred': np.ones(shape, np.float32), 'label': f32(labels)}
            if pred_lengths is not None:
                out['pred_lengths'] = f32(pred_lengths)
            if label_lengths is not None:
                out['label_lengths'] = f32(label_lengths)
            return out
        return build
    want = [18.82820702, 16.50581741]
    lab = [[1, 0, -1, -1], [2, 1, 1, -1]]
    lab_t = [list(x) for x in zip(*lab)]
    labels = [[0, 1, 2, -1], [3, 3, -1, -1], [1, -1, -1, -1]]
    return [
        Case('mxnet-test-ntc', "MXNet's test_loss.py: all-ones activations, NTC.", ones((2, 20, 4), lab), check=assert_close(want)),
        Case('mxnet-test-tnc', "MXNet's test_loss.py: TNC.", ones((20, 2, 4), lab), {'layout': 'TNC'}, check=assert_close(want)),
        Case('mxnet-test-tnc-tn', "MXNet's test_loss.py: TNC with TN labels.", ones((20, 2, 4), lab_t),
             {'layout': 'TNC', 'label_layout': 'TN'}, check=assert_close(want)),
        Case('mxnet-test-label-lengths', "MXNet's test_loss.py: label_lengths instead of -1 padding.",
             ones((2, 20, 4), [[2, 1, 2, 2], [3, 2, 2, 2]], None, [2, 3]), check=assert_close(want)),
        Case('mxnet-test-pred-lengths', "MXNet's test_loss.py: pred_lengths 20 of 25.",
             ones((2, 25, 4), [[2, 1, -1, -1], [3, 2, 2, -1]], [20, 20]), check=assert_close(want)),
        Case('mxnet-test-both-lengths', "MXNet's test_loss.py: both lengths; the blank index 3 is a label inside "
             "label_lengths and MXNet accepts it.", ones((2, 25, 4), [[2, 1, 3, 3], [3, 2, 2, 3]], [20, 20], [2, 3]),
             check=assert_close(want)),
        Case('ntc', 'Random activations, -1 padded labels.', ctc(3, 10, 5, labels)),
        Case('tnc', 'layout TNC.', ctc(3, 10, 5, labels, layout='TNC'), {'layout': 'TNC'}),
        Case('nt-tn', 'label_layout TN.', ctc(3, 10, 5, labels, label_layout='TN'), {'label_layout': 'TN'}),
        Case('tnc-tn', 'layout TNC with label_layout TN.', ctc(3, 10, 5, labels, layout='TNC', label_layout='TN'),
             {'layout': 'TNC', 'label_layout': 'TN'}),
        Case('repeated-labels', 'Repeated labels need a blank between them.', ctc(2, 8, 4, [[1, 1, 1, -1], [0, 0, 2, 2]])),
        Case('pred-lengths', 'pred_lengths shorter than T: gradients past each length are 0.',
             ctc(3, 10, 5, labels, pred_lengths=[10, 6, 3])),
        Case('label-lengths', 'label_lengths: only the first len labels count; the rest may be anything.',
             ctc(3, 10, 5, [[0, 1, 2, 3], [3, 2, 0, 0], [1, 0, 2, 1]], label_lengths=[4, 2, 1])),
        Case('both-lengths', 'pred_lengths and label_lengths together.',
             ctc(3, 10, 5, [[0, 1, 2, 3], [3, 2, 0, 0], [1, 0, 2, 1]], [9, 5, 4], [4, 2, 1])),
        Case('label-lengths-zero', 'A label length of 0: the empty label.',
             ctc(2, 6, 4, [[0, 1, 2], [1, 2, 0]], label_lengths=[0, 3])),
        Case('empty-label', 'A row of -1 only: the empty label (all blanks).', ctc(2, 6, 4, [[-1, -1, -1], [0, -1, -1]])),
        Case('values-after-padding-ignored', 'A row ends at its first -1; what follows is ignored.',
             ctc(2, 6, 4, [[1, -1, 2], [0, 2, -1]])),
        Case('cannot-fit', 'An alignment that cannot fit (3 repeated labels need 5 steps, T=4): loss 0 and an '
             'undefined gradient for that sample.', ctc(2, 4, 3, [[1, 1, 1], [0, 1, -1]])),
        Case('cannot-fit-pred-lengths', 'pred_lengths too short for the label: loss 0.',
             ctc(3, 6, 4, [[0, 1, 2], [1, 2, -1], [2, -1, -1]], pred_lengths=[2, 6, 0])),
        Case('label-uses-blank-index', 'The blank index inside label_lengths, which MXNet accepts.',
             ctc(2, 8, 4, [[3, 1, 3], [0, 3, 2]], label_lengths=[3, 2])),
        Case('full-length-label', 'A label as long as the sequence (no repeats).', ctc(2, 5, 6, [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])),
        Case('t-equals-1', 'A single time step.', ctc(2, 1, 3, [[1], [-1]])),
        Case('two-channels', 'C=2: one class and the blank.', ctc(2, 6, 2, [[0, 0, -1], [0, -1, -1]])),
        Case('batch-of-one', 'N=1.', ctc(1, 7, 4, [[2, 0, 1]])),
        Case('extreme-activations', 'Activations of scale 100: the log-space recursion must not overflow.',
             ctc(2, 6, 4, [[0, 1, -1], [2, 2, 1]], scale=100.0)),
        Case('weight', 'A scalar weight.', ctc(3, 10, 5, labels), {'weight': 0.5}),
        Case('sample-weight-per-sample', 'sample_weight (N,).', ctc(3, 10, 5, labels, sample_weight=(3,))),
        Case('sample-weight-column', 'sample_weight (N, 1) against the (N,) loss gives an (N, N) output.',
             ctc(3, 10, 5, labels, sample_weight=(3, 1))),
        Case('int32-labels-and-lengths', 'int32 labels and lengths.', ctc(3, 10, 5, [[0, 1, 2, 3], [3, 2, 0, 0], [1, 0, 2, 1]],
             [9, 5, 4], [4, 2, 1]), int32=('label', 'pred_lengths', 'label_lengths')),
        Case('error-layout', "layout 'NCT': MXNet asserts NTC or TNC in the constructor.",
             ctc(2, 5, 4, [[0, 1], [1, -1]]), {'layout': 'NCT'}, error='config'),
        Case('error-label-layout', "label_layout 'NX'.", ctc(2, 5, 4, [[0, 1], [1, -1]]), {'label_layout': 'NX'},
             error='config'),
        Case('error-label-longer-than-t', 'More labels per row than time steps.',
             ctc(2, 3, 4, [[0, 1, 2, 0], [1, -1, -1, -1]]), error='input'),
        Case('error-pred-2d', 'A 2-D pred.', lambda r: {'pred': r.normal((5, 4)), 'label': f32([[0, 1]])}, error='input'),
        Case('error-label-lengths-batch', 'label_lengths of another batch size.',
             ctc(2, 5, 4, [[0, 1], [1, -1]], label_lengths=[1, 1, 1]), error='input'),
        Case('error-pred-lengths-2d', 'pred_lengths that is not a vector.',
             ctc(2, 5, 4, [[0, 1], [1, -1]], pred_lengths=[[5], [5]]), error='input'),
        Case('error-label-batch', 'A label of another batch size.', ctc(2, 5, 4, [[0, 1], [1, -1], [0, 0]]), error='input'),
    ]


def triplet_cases():
    def trip(shape, pos_shape=None, neg_shape=None, scale=1.0):
        return lambda r: {'pred': r.normal(shape, scale), 'positive': r.normal(pos_shape or shape, scale),
                          'negative': r.normal(neg_shape or shape, scale)}
    return [
        Case('2d', 'Sum of squared distances over the non-batch axis.', trip((4, 5))),
        Case('1d', 'A 1-D pred: one element per sample.', trip((5,))),
        Case('3d', 'A 3-D pred.', trip((2, 3, 4))),
        Case('4d', 'A 4-D pred.', trip((2, 2, 2, 3))),
        Case('batch-axis-1', 'batch_axis=1.', trip((3, 4)), {'batch_axis': 1}),
        Case('batch-axis-negative', 'batch_axis=-1.', trip((3, 4)), {'batch_axis': -1}),
        Case('positive-reshaped', 'positive and negative of other shapes with the same size.', trip((4, 3), (12,), (2, 6))),
        Case('margin-0', 'margin=0.', trip((4, 5)), {'margin': 0}),
        Case('margin-5', 'margin=5: every sample active.', trip((4, 5)), {'margin': 5.0}),
        Case('all-inactive', 'negative far away: relu gives 0 and no gradient.',
             lambda r: (lambda p: {'pred': p, 'positive': p + r.normal((4, 5), 0.1),
                                   'negative': p + 10})(r.normal((4, 5)))),
        Case('tie-at-zero', 'positive == negative with margin 0: relu at exactly 0, gradient 0.',
             lambda r: (lambda p, q: {'pred': p, 'positive': q, 'negative': q.copy()})(r.normal((3, 4)), r.normal((3, 4))),
             {'margin': 0}),
        Case('weight', 'A scalar weight.', trip((4, 5)), {'weight': 0.7}),
        Case('large-values', 'Inputs of scale 100.', trip((3, 4), scale=100.0)),
        Case('batch-of-one', 'N=1.', trip((1, 6))),
        Case('error-positive-size', 'positive with another number of elements.', trip((2, 3), (5,)), error='input'),
        Case('error-batch-axis', 'batch_axis beyond pred\'s axes.', trip((2, 3)), {'batch_axis': 2}, error='input'),
        Case('error-sample-weight', 'A sample_weight, which 1.9.1\'s TripletLoss does not take.',
             lambda r: {'pred': r.normal((2, 3)), 'positive': r.normal((2, 3)), 'negative': r.normal((2, 3)),
                        'sample_weight': r.normal((2, 1))}, error='input'),
    ]


def poisson_cases():
    def pois(shape, **kw):
        return lambda r: {'pred': r.normal(shape, 0.5), 'target': r.ints(shape, 0, 6), **{k: v(r) for k, v in kw.items()}}

    def rate(shape, **kw):
        return lambda r: {'pred': r.uniform(shape, 0.1, 5.0), 'target': r.ints(shape, 0, 6), **{k: v(r) for k, v in kw.items()}}
    return [
        Case('2d', 'from_logits (default): exp(pred) - target * pred, mean over every element, shape (1,).', pois((4, 3))),
        Case('1d', 'A 1-D pred.', pois((6,))),
        Case('3d', 'A 3-D pred.', pois((2, 3, 4))),
        Case('4d', 'A 4-D pred.', pois((2, 2, 2, 2))),
        Case('batch-axis-1-ignored', 'batch_axis=1 is ignored: the mean is over every element.', pois((3, 4)),
             {'batch_axis': 1}),
        Case('from-logits-false', 'from_logits=False: pred - target * log(pred + 1e-8).', rate((4, 3)),
             {'from_logits': False}),
        Case('from-logits-false-pred-zero', 'from_logits=False with pred exactly 0: log(0 + epsilon).',
             lambda r: {'pred': f32([[0, 1, 2], [0, 0.5, 3]]), 'target': f32([[1, 0, 2], [0, 3, 1]])},
             {'from_logits': False}),
        Case('epsilon', 'A call-time epsilon of 1e-3 with from_logits=False.', rate((4, 3), epsilon=lambda r: 1e-3),
             {'from_logits': False}),
        Case('epsilon-ignored-from-logits', 'epsilon is unused when from_logits is True.', pois((4, 3), epsilon=lambda r: 0.5)),
        Case('compute-full', 'compute_full: the Stirling term for targets above 1; target 0 gives NaN (0 * -inf).',
             pois((4, 3)), {'compute_full': True}, out_of_place_grad=True),
        Case('compute-full-no-zero-target', 'compute_full with every target >= 1: finite.',
             lambda r: {'pred': r.normal((4, 3), 0.5), 'target': r.ints((4, 3), 1, 8)}, {'compute_full': True},
             out_of_place_grad=True),
        Case('compute-full-from-logits-false', 'compute_full with from_logits=False.',
             lambda r: {'pred': r.uniform((3, 3), 0.1, 5.0), 'target': r.ints((3, 3), 1, 8)},
             {'compute_full': True, 'from_logits': False}, out_of_place_grad=True),
        Case('real-valued-target', 'A real-valued target (the Stirling term takes it as it is).',
             lambda r: {'pred': r.normal((3, 4), 0.5), 'target': r.uniform((3, 4), 1.0, 6.0)}, {'compute_full': True},
             out_of_place_grad=True),
        Case('target-reshaped', 'A target of another shape with the same size.',
             lambda r: {'pred': r.normal((4, 3), 0.5), 'target': r.ints((12,), 0, 6)}),
        Case('sample-weight-per-sample', 'sample_weight (N, 1).', pois((4, 3), sample_weight=lambda r: r.uniform((4, 1), 0, 2))),
        Case('sample-weight-expands-loss', 'sample_weight (2, 1, 3) broadcasts the loss to (2, 4, 3) before the mean.',
             pois((4, 3), sample_weight=lambda r: r.uniform((2, 1, 3), 0, 2))),
        Case('weight', 'A scalar weight.', pois((4, 3)), {'weight': 3.0}),
        Case('int32-target', 'An int32 target.', pois((4, 3)), int32=('target',)),
        Case('error-target-size', 'A target with another number of elements.',
             lambda r: {'pred': r.normal((2, 3)), 'target': r.ints((4,), 0, 3)}, error='input'),
    ]


def cosine_cases():
    def cos(shape, label_size=None, label=None, **kw):
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1

        def build(r):
            out = {'input1': r.normal(shape), 'input2': r.normal(shape),
                   'label': f32(label) if label is not None else r.signs((label_size or rows,))}
            out.update({k: v(r) for k, v in kw.items()})
            return out
        return build
    return [
        Case('2d', 'Labels of 1 and -1; the output is (N, 1), not reduced.', cos((4, 5))),
        Case('label-2d', 'A label of shape (N, 1).', lambda r: {'input1': r.normal((4, 5)), 'input2': r.normal((4, 5)),
                                                                'label': r.signs((4, 1))}),
        Case('1d', 'Two single vectors: output (1, 1).', cos((5,))),
        Case('3d', 'A 3-D input: similarity along the last axis, rows N*T.', cos((2, 3, 4))),
        Case('4d', 'A 4-D input.', cos((2, 2, 2, 3))),
        Case('margin', 'margin=0.5 for the dissimilar pairs.', cos((6, 4)), {'margin': 0.5}),
        Case('margin-negative', 'margin=-0.5.', cos((6, 4)), {'margin': -0.5}),
        Case('label-neither', 'Labels that are neither 1 nor -1 give 0.', cos((4, 3), label=[0, 2, 1, -1])),
        Case('label-broadcast', 'A single label for every row.', cos((4, 3), label=[-1])),
        Case('zero-vector', 'Zero vectors: the denominator is clamped at 1e-12.',
             lambda r: {'input1': f32([[0, 0, 0], [1, 2, 3], [0, 0, 0]]), 'input2': f32([[1, 2, 3], [0, 0, 0], [0, 0, 0]]),
                        'label': f32([1, -1, 1])}),
        Case('parallel-and-opposite', 'Parallel and opposite vectors (cosine +-1).',
             lambda r: (lambda v: {'input1': v, 'input2': np.stack([v[0] * 2, -v[1], v[2] * 0.5]).astype(np.float32),
                                   'label': f32([1, -1, -1])})(r.normal((3, 4)))),
        Case('input1-reshaped', 'input1 of another shape with the same size is reshaped to input2.',
             lambda r: {'input1': r.normal((20,)), 'input2': r.normal((4, 5)), 'label': r.signs((4,))}),
        Case('sample-weight-per-row', 'sample_weight (N, 1).', cos((4, 5), sample_weight=lambda r: r.uniform((4, 1), 0, 2))),
        Case('sample-weight-n-gives-nxn', 'sample_weight (N,) against the (N, 1) loss gives (N, N).',
             cos((4, 5), sample_weight=lambda r: r.uniform((4,), 0, 2))),
        Case('weight', 'A scalar weight.', cos((4, 5)), {'weight': 2.0}),
        Case('batch-axis-ignored', 'batch_axis=1 is accepted and ignored.', cos((4, 5)), {'batch_axis': 1}),
        Case('int32-label', 'An int32 label.', cos((4, 5)), int32=('label',)),
        Case('error-label-rows', 'A label whose size is neither the number of rows nor 1.', cos((4, 5), label_size=3),
             error='input'),
        Case('error-input-size', 'input1 with another number of elements.',
             lambda r: {'input1': r.normal((4, 4)), 'input2': r.normal((4, 5)), 'label': r.signs((4,))}, error='input'),
    ]


def sdml_cases():
    def pair(n, d, scale=1.0, noise=0.3):
        return lambda r: (lambda x: {'x1': x, 'x2': (x + r.normal((n, d), noise)).astype(np.float32)})(r.normal((n, d), scale))
    return [
        Case('default', 'Smoothing 0.3 over a batch of 4.', pair(4, 3)),
        Case('batch-2', 'A batch of 2.', pair(2, 5)),
        Case('batch-8', 'A batch of 8.', pair(8, 4)),
        Case('batch-1-nan', 'A batch of 1 divides by zero: NaN, not an exception.', pair(1, 3)),
        Case('smoothing-0', 'smoothing_parameter=0: a one-hot target.', pair(4, 3), {'smoothing_parameter': 0.0}),
        Case('smoothing-0.1', 'smoothing_parameter=0.1.', pair(4, 3), {'smoothing_parameter': 0.1}),
        Case('smoothing-0.9', 'smoothing_parameter=0.9.', pair(4, 3), {'smoothing_parameter': 0.9}),
        Case('weight-not-applied', 'weight=5 is stored but never applied in 1.9.1.', pair(4, 3), {'weight': 5.0}),
        Case('weight-none', 'weight=None is accepted (never applied).', pair(3, 3), {'weight': None}),
        Case('batch-axis-ignored', 'batch_axis=1 is accepted and ignored.', pair(4, 3), {'batch_axis': 1}),
        Case('identical', 'x2 == x1.', lambda r: (lambda x: {'x1': x, 'x2': x.copy()})(r.normal((4, 3)))),
        Case('far-apart', 'Large distances saturate the softmax.', pair(4, 3, scale=30.0, noise=0.1)),
        Case('one-dimension', 'Vectors of dimension 1.', pair(5, 1)),
        Case('wide', 'Vectors of dimension 16.', pair(3, 16)),
        Case('unrelated', 'x2 unrelated to x1.', lambda r: {'x1': r.normal((4, 3)), 'x2': r.normal((4, 3))}),
        Case('error-3d', 'A 3-D input: MXNet cannot unpack (batch_size, dim).',
             lambda r: {'x1': r.normal((2, 3, 4)), 'x2': r.normal((2, 3, 4))}, error='input'),
        Case('error-1d', 'A 1-D input.', lambda r: {'x1': r.normal((4,)), 'x2': r.normal((4,))}, error='input'),
        Case('error-shape-mismatch', 'x1 and x2 of different shapes: MXNet asserts equal shapes.',
             lambda r: {'x1': r.normal((2, 3)), 'x2': r.normal((2, 4))}, error='input'),
    ]


CASES = {
    'L2Loss': l2_cases,
    'L1Loss': l1_cases,
    'SigmoidBinaryCrossEntropyLoss': bce_cases,
    'SoftmaxCrossEntropyLoss': softmax_ce_cases,
    'KLDivLoss': kl_div_cases,
    'CTCLoss': ctc_cases,
    'HuberLoss': huber_cases,
    'HingeLoss': hinge_like_cases,
    'SquaredHingeLoss': hinge_like_cases,
    'LogisticLoss': logistic_cases,
    'TripletLoss': triplet_cases,
    'PoissonNLLLoss': poisson_cases,
    'CosineEmbeddingLoss': cosine_cases,
    'SDMLLoss': sdml_cases,
}

if set(CASES) != set(INPUTS):
    raise SystemExit(f'cases.py: no cases for {sorted(set(INPUTS) - set(CASES))}, '
                     f'cases for losses the spec lacks {sorted(set(CASES) - set(INPUTS))}')
# Every loss of the registry, in its order.
LOSSES = {name: CASES[name] for name in INPUTS}
