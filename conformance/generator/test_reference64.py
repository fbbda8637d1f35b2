"""Tests of reference64.py: it reproduces MXNet's float32 result on every golden case, and
its CTC restatement behaves as MXNet's CTC operator at the edges.

    .venv/bin/python -m unittest discover -s conformance/generator -p 'test_*.py'
"""
import itertools
import json
import subprocess
import sys
import unittest
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (sets MXNet's environment, then imports mxnet)
from reference64 import ctc64, reference64  # noqa: E402
from cases import IEEE_CASES  # noqa: E402

# The cases that pin where MXNet's float32 arithmetic overflows or cancels (Inf, NaN, a
# wrong sign where float64 is finite and exact): cases.py's IEEE_CASES, written by hand
# (`ieee-*`) or minimized from the differential tester (`diff-S-I`, `log-softmax-*`).
FLOAT32_EFFECTS = {f'{loss}/{c.name}' for loss, listed in IEEE_CASES.items() for c in listed}
from mxnet import autograd, gluon, nd  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5


def decode(t, dtype=np.float64):
    """A golden tensor; undefined elements (null) as NaN, plus their mask."""
    data = [np.nan if v is None else {'NaN': np.nan, 'Infinity': np.inf, '-Infinity': -np.inf}.get(v, v)
            if isinstance(v, str) else v for v in t['data']]
    mask = np.array([v is None for v in t['data']], dtype=bool).reshape(t['shape'])
    return np.array(data, dtype=dtype).reshape(t['shape']), mask


def mxnet32(loss_name, config, inputs, head, grads_of):
    """MXNet's own float32 run of a call (the real class), as generate.py records it."""
    block = getattr(gluon.loss, loss_name)(**config)
    arrays = {k: nd.array(v, dtype='float32') for k, v in inputs.items() if not np.isscalar(v)}
    for k in grads_of:
        arrays[k].attach_grad()
    with autograd.record():
        out = block(*generate.positional_args(generate.INPUTS[generate_name(loss_name)], inputs, arrays))
    out.backward(nd.array(head))
    return out.asnumpy(), {k: arrays[k].grad.asnumpy() for k in grads_of}


def generate_name(loss_name):
    return {'SigmoidBCELoss': 'SigmoidBinaryCrossEntropyLoss', 'SoftmaxCELoss': 'SoftmaxCrossEntropyLoss'}.get(
        loss_name, loss_name)


def assert_matches_float32(test, mx32, ref, where, undefined=None):
    """ref within rtol 1e-4 / atol 1e-5 of mx32; NaN and infinities exactly where mx32 has them."""
    mx32 = np.asarray(mx32, dtype=np.float64)
    keep = np.ones(mx32.shape, dtype=bool) if undefined is None else ~undefined
    test.assertEqual(ref.shape, mx32.shape, where)
    np.testing.assert_array_equal(np.isnan(ref[keep]), np.isnan(mx32[keep]), err_msg=f'{where}: NaN positions')
    infinite = np.isinf(mx32) & keep
    np.testing.assert_array_equal(ref[infinite], mx32[infinite], err_msg=f'{where}: infinities')
    np.testing.assert_array_equal(np.isinf(ref[keep]), np.isinf(mx32[keep]), err_msg=f'{where}: infinite positions')
    finite = np.isfinite(mx32) & keep
    np.testing.assert_allclose(ref[finite], mx32[finite], rtol=RTOL, atol=ATOL, err_msg=where)


class EveryGoldenCase(unittest.TestCase):
    """The float64 reference of each golden call, recomputed from the golden's own inputs and
    head gradient, agrees with MXNet's float32 values and with what the golden recorded."""

    def test_every_golden_call_matches_mxnet_float32_within_the_fixed_tolerance(self):
        calls = 0
        for path in sorted(generate.GOLDEN_DIR.glob('*.json')):
            golden = json.loads(path.read_text())
            self.assertEqual(golden['formatVersion'], generate.FORMAT_VERSION)
            for case in golden['cases']:
                if 'error' in case:
                    continue
                calls += 1
                with self.subTest(case=case['name']):
                    self.check_case(case)
        self.assertGreaterEqual(calls, 300)

    def check_case(self, case):
        inputs = {k: v if not isinstance(v, dict) else decode(v, np.float32)[0] for k, v in case['inputs'].items()}
        head = decode(case['headGrad'], np.float32)[0]
        expected = case['expected']
        ref = reference64(case['loss'], case['config'], inputs, head, list(expected['grads']))
        self.assertEqual(ref['loss'].dtype, np.float64)
        self.assertEqual(set(ref['grads']), set(expected['grads']))
        mx_loss, _ = decode(expected['loss'])
        # Where a case pins MXNet's float32 effects the reference is meant to differ from
        # MXNet, so only its recomputation is checked.
        float32_effects = case['name'] in FLOAT32_EFFECTS
        if not float32_effects:
            assert_matches_float32(self, mx_loss, ref['loss'], f'{case["name"]} loss')
        recorded, _ = decode(expected['ref64']['loss'])
        np.testing.assert_array_equal(recorded, ref['loss'])
        for k, g in expected['grads'].items():
            mx_grad, undefined = decode(g)
            ref_undefined = ref.get('undefined', {}).get(k, np.zeros(mx_grad.shape, dtype=bool))
            np.testing.assert_array_equal(ref_undefined, undefined, err_msg=f'{case["name"]} grad {k}: undefined')
            self.assertTrue(np.isnan(ref['grads'][k][undefined]).all())
            if not float32_effects:
                assert_matches_float32(self, mx_grad, ref['grads'][k], f'{case["name"]} grad {k}', undefined)
            recorded, _ = decode(expected['ref64']['grads'][k])
            np.testing.assert_array_equal(recorded, ref['grads'][k])


def brute_force_ctc(act, labels):
    """-log p(labels | act) by enumerating every path of C^T symbols (blank last) that
    collapses to the labels: the definition, for tiny T and C."""
    steps, channels = act.shape
    blank = channels - 1
    logp = act - np.log(np.exp(act - act.max(1, keepdims=True)).sum(1, keepdims=True)) - act.max(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(channels), repeat=steps):
        collapsed = [s for i, s in enumerate(path) if s != blank and (i == 0 or s != path[i - 1])]
        if collapsed == list(labels):
            total += np.exp(sum(logp[t, s] for t, s in enumerate(path)))
    return -np.log(total)


class Ctc64(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(9)

    def test_loss_is_the_sum_over_alignments_and_the_gradient_its_derivative(self):
        for labels in ([0, 1], [1, 1], [2], [], [0, 2, 0]):
            act = self.rng.standard_normal((5, 4))
            loss, grad, _ = ctc64(act[:, None, :], np.array([labels + [-1] * (3 - len(labels))]), None, None)
            self.assertAlmostEqual(loss[0], brute_force_ctc(act, labels), places=12, msg=str(labels))
            # central differences of the float64 loss w.r.t. each pre-softmax activation
            h = 1e-6
            numeric = np.zeros_like(act)
            for idx in np.ndindex(act.shape):
                up, down = act.copy(), act.copy()
                up[idx] += h
                down[idx] -= h
                numeric[idx] = (ctc64(up[:, None, :], np.array([labels + [-1] * (3 - len(labels))]), None, None)[0][0]
                                - ctc64(down[:, None, :], np.array([labels + [-1] * (3 - len(labels))]), None, None)[0][0]) / (2 * h)
            np.testing.assert_allclose(grad[:, 0, :], numeric, atol=1e-7, err_msg=str(labels))

    def random_batch(self, n, t, c, length):
        labels = self.rng.integers(0, c, (n, length)).astype(np.float32)  # the blank index c-1 included
        for b in range(n):
            pad = self.rng.integers(0, length + 1)
            labels[b, pad:] = -1
        return self.rng.standard_normal((n, t, c)).astype(np.float32) * 2, labels

    def compare_with_mxnet(self, config, inputs):
        head = self.rng.standard_normal((inputs['pred'].shape[0],)).astype(np.float32)
        mx_loss, mx_grads = mxnet32('CTCLoss', config, inputs, head, ['pred'])
        ref = reference64('CTCLoss', config, inputs, head, ['pred'])
        undefined = ref.get('undefined', {}).get('pred')
        assert_matches_float32(self, mx_loss, ref['loss'], 'loss')
        assert_matches_float32(self, mx_grads['pred'], ref['grads']['pred'], 'grad', undefined)
        return ref

    def test_random_batches_with_blank_valued_labels_padding_and_lengths_match_mxnet(self):
        for trial in range(12):
            n, t, c, length = 4, int(self.rng.integers(4, 12)), int(self.rng.integers(2, 6)), 4
            pred, label = self.random_batch(n, t, c, length)
            label[0, 0] = 0  # never a batch of empty labels only (MXNet is undefined there)
            inputs = {'pred': pred, 'label': label}
            if trial % 3 == 1:  # from 1: MXNet corrupts its heap on a length 0 with an empty label
                inputs['pred_lengths'] = self.rng.integers(1, t + 1, (n,)).astype(np.float32)
            if trial % 3 == 2:
                inputs['label'] = np.where(label < 0, self.rng.integers(0, c, label.shape), label).astype(np.float32)
                inputs['label_lengths'] = self.rng.integers(0, length + 1, (n,)).astype(np.float32)
                inputs['label_lengths'][0] = max(inputs['label_lengths'][0], 1)
            with self.subTest(trial=trial):
                self.compare_with_mxnet({}, inputs)

    def test_a_label_that_cannot_fit_gives_loss_0_and_an_undefined_gradient(self):
        pred = self.rng.standard_normal((2, 4, 3)).astype(np.float32)
        ref = self.compare_with_mxnet({}, {'pred': pred, 'label': np.array([[1, 1, 1], [0, 1, -1]], np.float32)})
        self.assertEqual(ref['loss'][0], 0.0)
        self.assertTrue(ref['undefined']['pred'][0].all() and not ref['undefined']['pred'][1].any())
        self.assertTrue(np.isnan(ref['grads']['pred'][0]).all())

    def test_a_label_that_fits_by_count_but_has_no_path_gives_infinity(self):
        # A label ending in the blank index with no step to spare: alpha may not skip into
        # a blank-valued state, so no path reaches the end.
        pred = self.rng.standard_normal((2, 2, 3)).astype(np.float32)
        ref = self.compare_with_mxnet({}, {'pred': pred, 'label': np.array([[0, 2], [0, 1]], np.float32)})
        self.assertEqual(ref['loss'][0], np.inf)

    def test_zero_pred_length_with_an_empty_label_gives_infinity_and_a_zero_gradient(self):
        # Not run through MXNet: its warp-ctc writes the gradient of step T-1 = -1 there, out
        # of bounds, and corrupts the heap (a segfault or glibc's "corrupted double-linked
        # list" a few calls later). Its log-likelihood there is -inf before that write.
        pred = self.rng.standard_normal((2, 4, 3)).astype(np.float32)
        ref = reference64('CTCLoss', {}, {'pred': pred, 'label': np.array([[-1, -1], [0, 1]], np.float32),
                                          'pred_lengths': np.array([0, 4], np.float32)},
                          np.ones(2, np.float32), ['pred'])
        self.assertEqual(ref['loss'][0], np.inf)
        self.assertTrue(np.isfinite(ref['loss'][1]))
        np.testing.assert_array_equal(ref['grads']['pred'][0], 0.0)

    def test_labels_and_lengths_that_are_not_integers_are_rounded_as_mxnet_rounds_them(self):
        pred = self.rng.standard_normal((3, 6, 4)).astype(np.float32)
        # 0.7 -> 1, 1.9 -> 2, 2.5 -> 3, -0.5 -> -1 (padding); lengths 2.5 -> 3, 1.2 -> 1, 0.5 -> 1;
        # pred_lengths 4.5 -> a loss over 5 steps, a gradient over int(4.5) = 4
        label = np.array([[0.7, 1.9, -1], [2.5, -0.5, 2], [0.5, 0.4, 1.5]], np.float32)
        ref = self.compare_with_mxnet({}, {'pred': pred, 'label': label})
        with_lengths = self.compare_with_mxnet({}, {'pred': pred, 'label': np.abs(label),
                                                    'label_lengths': np.array([2.5, 1.2, 0.5], np.float32),
                                                    'pred_lengths': np.array([4.5, 3.5, 2.4], np.float32)})
        self.assertTrue(np.isfinite(ref['loss']).all() and np.isfinite(with_lengths['loss']).all())

    def test_nan_and_infinite_activations_propagate_as_in_mxnet(self):
        for value in (np.nan, np.inf, -np.inf):
            pred = self.rng.standard_normal((2, 5, 4)).astype(np.float32)
            pred[0, 2, 1] = value
            pred[1, 4, :] = -np.inf if value == -np.inf else pred[1, 4, :]
            with self.subTest(value=value):
                ref = self.compare_with_mxnet({}, {'pred': pred, 'label': np.array([[0, 1], [1, 2]], np.float32)})
                self.assertEqual(np.isnan(ref['loss'][0]), not value == -np.inf)

    def test_layouts_weights_and_the_sample_weight_gradient_go_through_mxnet(self):
        pred, label = self.random_batch(3, 6, 4, 3)
        label[:, 0] = 1
        inputs = {'pred': np.ascontiguousarray(pred.transpose(1, 0, 2)), 'label': np.ascontiguousarray(label.T),
                  'sample_weight': self.rng.uniform(0.5, 2, (3, 1)).astype(np.float32)}
        config = {'layout': 'TNC', 'label_layout': 'TN', 'weight': 0.5}
        head = self.rng.standard_normal((3, 3)).astype(np.float32)
        mx_loss, mx_grads = mxnet32('CTCLoss', config, inputs, head, ['pred', 'sample_weight'])
        ref = reference64('CTCLoss', config, inputs, head, ['pred', 'sample_weight'])
        assert_matches_float32(self, mx_loss, ref['loss'], 'loss')
        for k in ('pred', 'sample_weight'):
            assert_matches_float32(self, mx_grads[k], ref['grads'][k], k)


class TheOtherLosses(unittest.TestCase):
    def test_mxnet_raises_on_float64_where_the_reference_restates_the_loss(self):
        """Why CTCLoss, CosineEmbeddingLoss and SDMLLoss are restated: 1.9.1 refuses float64."""
        x = nd.array(np.ones((2, 3, 3)), dtype='float64')
        calls = {
            'CTCLoss': lambda: gluon.loss.CTCLoss()(x, nd.array([[0, 1], [1, -1]], dtype='float64')),
            'CosineEmbeddingLoss': lambda: gluon.loss.CosineEmbeddingLoss()(x[0], x[1], nd.array([1, -1, 1], dtype='float64')),
            'SDMLLoss': lambda: gluon.loss.SDMLLoss()(x[0], x[1]),
        }
        for name, call in calls.items():
            with self.subTest(loss=name), self.assertRaises(Exception):
                call().asnumpy()

    def test_the_reference_computes_in_float64(self):
        """Inputs whose float32 result visibly rounds: the reference keeps the digits float32 loses."""
        x1 = np.array([[1.0, 1e-4, 0.0], [0.3, 0.2, 0.1]], np.float32)
        x2 = np.array([[1.0, 0.0, 1e-4], [0.1, 0.2, 0.3]], np.float32)
        label = np.array([1, 1], np.float32)
        head = np.ones(2, np.float32)
        ref = reference64('CosineEmbeddingLoss', {}, {'input1': x1, 'input2': x2, 'label': label}, head, ['input1'])
        a, b = x1.astype(np.float64), x2.astype(np.float64)
        exact = 1 - (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        np.testing.assert_allclose(ref['loss'].reshape(-1), exact, rtol=1e-7)
        self.assertGreater(exact[0], 9e-9)  # 1e-8 in float64; float32 cannot tell it from 0

    def test_sdml_and_poisson_compute_full_match_mxnet_float32(self):
        rng = np.random.default_rng(3)
        x1 = rng.standard_normal((5, 4)).astype(np.float32)
        x2 = (x1 + rng.standard_normal((5, 4)) * 0.3).astype(np.float32)
        head = rng.standard_normal((5,)).astype(np.float32)
        mx_loss, mx_grads = mxnet32('SDMLLoss', {'smoothing_parameter': 0.2}, {'x1': x1, 'x2': x2}, head, ['x1', 'x2'])
        ref = reference64('SDMLLoss', {'smoothing_parameter': 0.2}, {'x1': x1, 'x2': x2}, head, ['x1', 'x2'])
        assert_matches_float32(self, mx_loss, ref['loss'], 'SDML loss')
        for k in ('x1', 'x2'):
            assert_matches_float32(self, mx_grads[k], ref['grads'][k], f'SDML {k}')
        pred = rng.standard_normal((3, 4)).astype(np.float32)
        target = rng.integers(0, 6, (3, 4)).astype(np.float32)
        ref = reference64('PoissonNLLLoss', {'compute_full': True}, {'pred': pred, 'target': target},
                          np.ones(1, np.float32), ['pred', 'target'])
        real = gluon.loss.PoissonNLLLoss(compute_full=True)(nd.array(pred), nd.array(target)).asnumpy()
        assert_matches_float32(self, real, ref['loss'], 'PoissonNLL compute_full loss')

    def test_no_head_gradient_means_ones(self):
        inputs = {'pred': np.array([[1, 2], [3, 5]], np.float32), 'label': np.zeros((2, 2), np.float32)}
        ones = reference64('L2Loss', {}, inputs, np.ones(2, np.float32), ['pred'])
        default = reference64('L2Loss', {}, inputs, None, ['pred'])
        np.testing.assert_array_equal(default['grads']['pred'], ones['grads']['pred'])

    def test_a_call_mxnet_rejects_raises(self):
        with self.assertRaises(Exception):
            reference64('L2Loss', {}, {'pred': np.ones((2, 3), np.float32), 'label': np.ones((5,), np.float32)},
                        np.ones(2, np.float32), ['pred'])


class Importing(unittest.TestCase):
    def test_importing_the_module_does_not_import_mxnet(self):
        """So an importer can set MXNet's environment first (generate.py does)."""
        code = f'import sys; sys.path.insert(0, {str(HERE)!r}); import reference64; print("mxnet" in sys.modules)'
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), 'False')


if __name__ == '__main__':
    unittest.main()
