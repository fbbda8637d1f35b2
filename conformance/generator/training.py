#!/usr/bin/env python3
"""Writes conformance/golden/training/<run>.json: short training runs by MXNet 1.9.1.

Each run is a small Gluon model (nn.Dense layers) with fixed data and initial weights,
trained for STEPS steps of plain SGD (gluon.Trainer 'sgd', no momentum, no weight decay)
the way MXNet's own examples train: `l = loss(net(x), y)` under autograd.record,
`l.backward()` (the default head gradient, ones) and `trainer.step(batch_size)` (which
rescales the summed gradient by 1/batch). It records the data, the initial weights and
the mean loss over the batch before the first step and after every step, so a
replay that starts from the same weights must follow the same curve.

    python3 conformance/generator/training.py           # rewrite the files
    python3 conformance/generator/training.py --check   # exit 1 if MXNet now gives another curve

Weights are stored in MXNet's layout: a Dense layer's weight is (units, in_units) and
computes x @ weight.T + bias (with flatten=False over the last axis only).
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (sets MXNet's determinism switches before importing it)
from generate import dumps, output_ulps, tensor_json, CHECK_ULPS  # noqa: E402

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402

FORMAT = 'gluon-loss-training'
FORMAT_VERSION = 1
STEPS = 100
OUT_DIR = Path(__file__).resolve().parent.parent / 'golden' / 'training'


def rng(name):
    import zlib
    return np.random.default_rng(zlib.crc32(name.encode()))


def dense(units, in_units, r, activation=None, use_bias=True, flatten=True, scale=0.5):
    layer = gluon.nn.Dense(units, in_units=in_units, activation=activation, use_bias=use_bias, flatten=flatten)
    layer.initialize()
    layer.weight.set_data(nd.array(r.standard_normal((units, in_units)) * scale / np.sqrt(in_units), dtype='float32'))
    if use_bias:
        layer.bias.set_data(nd.array(r.standard_normal((units,)) * 0.1, dtype='float32'))
    return layer


def softmax_classifier():
    """A linear softmax classifier: 16 samples of 5 features, 4 classes, sparse labels."""
    r = rng('softmax-classifier')
    x = r.standard_normal((16, 5)).astype(np.float32)
    label = r.integers(0, 4, (16,)).astype(np.float32)
    net = gluon.nn.Sequential()
    net.add(dense(4, 5, r))
    return dict(name='softmax-classifier', loss='SoftmaxCELoss', config={}, lr=0.5,
                description='Linear softmax classifier (Dense 5->4), sparse labels, SoftmaxCELoss.',
                layers=[{'kind': 'dense', 'activation': None, 'flatten': True}],
                net=net, inputs={'x': x}, targets={'label': (label, 'int32')},
                call=lambda loss, out, t: loss(out, t['label']))


def mlp_regressor():
    """A two-layer tanh MLP regressor: 16 samples of 3 features, one output, L2Loss."""
    r = rng('mlp-regressor')
    x = r.standard_normal((16, 3)).astype(np.float32)
    label = (np.sin(x[:, :1] * 1.5) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    net = gluon.nn.Sequential()
    net.add(dense(8, 3, r, activation='tanh', scale=1.0))
    net.add(dense(1, 8, r))
    return dict(name='mlp-regressor', loss='L2Loss', config={}, lr=0.2,
                description='MLP regressor (Dense 3->8 tanh, Dense 8->1), L2Loss.',
                layers=[{'kind': 'dense', 'activation': 'tanh', 'flatten': True},
                        {'kind': 'dense', 'activation': None, 'flatten': True}],
                net=net, inputs={'x': x}, targets={'label': (label, 'float32')},
                call=lambda loss, out, t: loss(out, t['label']))


def ctc_sequence():
    """Per-frame logits of a sequence model (Dense over the last axis, flatten=False):
    8 sequences of 10 frames of 4 features, 5 channels (blank = 4), labels padded with -1."""
    r = rng('ctc-sequence')
    x = r.standard_normal((8, 10, 4)).astype(np.float32)
    label = np.full((8, 4), -1, dtype=np.float32)
    for i in range(8):
        n = 2 + i % 3
        label[i, :n] = r.integers(0, 4, n)
    net = gluon.nn.Sequential()
    net.add(dense(5, 4, r, flatten=False))
    return dict(name='ctc-sequence', loss='CTCLoss', config={}, lr=0.1,
                description='Per-frame Dense 4->5 logits (N, T, C) of 8 sequences, CTCLoss with -1 padded labels.',
                layers=[{'kind': 'dense', 'activation': None, 'flatten': False}],
                net=net, inputs={'x': x}, targets={'label': (label, 'int32')},
                call=lambda loss, out, t: loss(out, t['label']))


def triplet_embedding():
    """A linear embedding (Dense 6->3, no bias) shared by anchor, positive and negative."""
    r = rng('triplet-embedding')
    anchor = r.standard_normal((16, 6)).astype(np.float32)
    positive = (anchor + r.standard_normal((16, 6))).astype(np.float32)
    negative = r.standard_normal((16, 6)).astype(np.float32)
    net = gluon.nn.Sequential()
    net.add(dense(3, 6, r, use_bias=False, scale=1.0))
    return dict(name='triplet-embedding', loss='TripletLoss', config={'margin': 4.0}, lr=0.01,
                description='Linear embedding Dense 6->3 (no bias) of anchor, positive and negative, TripletLoss.',
                layers=[{'kind': 'dense', 'activation': None, 'flatten': True, 'bias': False}],
                net=net, inputs={'x': anchor, 'positive': positive, 'negative': negative}, targets={},
                call=None)


RUNS = [softmax_classifier, mlp_regressor, ctc_sequence, triplet_embedding]


def train(run) -> str:
    net = run['net']
    params = list(net.collect_params().values())
    initial = [{'name': p.name.split('_', 1)[1] if '_' in p.name else p.name, 'layer': i_layer(net, p),
                'data': tensor_json(p.data().asnumpy())} for p in params]
    loss_fn = getattr(gluon.loss, run['loss'])(**run['config'])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': run['lr']})
    inputs = {k: nd.array(v, dtype='float32') for k, v in run['inputs'].items()}
    targets = {k: nd.array(v, dtype='float32') for k, (v, _) in run['targets'].items()}
    batch = run['inputs']['x'].shape[0]
    losses = []
    for step in range(STEPS + 1):
        with autograd.record():
            if run['call'] is None:  # triplet: the same net embeds all three
                l = loss_fn(net(inputs['x']), net(inputs['positive']), net(inputs['negative']))
            else:
                l = run['call'](loss_fn, net(inputs['x']), targets)
        losses.append(float(l.mean().asnumpy()[0]))
        if step < STEPS:
            l.backward()
            trainer.step(batch)
    mx.nd.waitall()
    record = {
        'format': FORMAT,
        'formatVersion': FORMAT_VERSION,
        'reference': {'mxnet': mx.__version__, 'numpy': np.__version__, 'mode': 'gluon-trainer-sgd'},
        'name': run['name'],
        'description': run['description'],
        'loss': run['loss'],
        'config': run['config'],
        'optimizer': {'kind': 'sgd', 'learningRate': run['lr'], 'momentum': 0, 'wd': 0, 'rescaleGrad': f'1/{batch}'},
        'steps': STEPS,
        'layers': run['layers'],
        'initialParams': initial,
        'inputs': {k: tensor_json(v) for k, v in run['inputs'].items()},
        'targets': {k: tensor_json(v, dtype) for k, (v, dtype) in run['targets'].items()},
        # losses[0]: before any step; losses[i]: the batch-mean loss after i steps.
        'losses': tensor_json(np.asarray(losses, dtype=np.float32)),
    }
    return dumps(record)


def i_layer(net, param):
    for i, layer in enumerate(net):
        if any(p is param for p in layer.collect_params().values()):
            return i
    raise ValueError(param.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true', help=f'compare with the committed files (losses to {CHECK_ULPS} ulps)')
    args = parser.parse_args()
    if mx.__version__ != '1.9.1':
        print(f'error: the goldens come from mxnet 1.9.1, this is {mx.__version__}', file=sys.stderr)
        return 2
    differing = []
    for make in RUNS:
        mx.random.seed(0)
        run = make()
        text = train(run)
        path = OUT_DIR / f'{run["name"]}.json'
        losses = json.loads(text)['losses']['data']
        if args.check:
            if not path.exists():
                status = 'DIFFERS: no committed file'
                differing.append(run['name'])
            else:
                old, new = json.loads(path.read_text()), json.loads(text)
                old_losses, new_losses = old.pop('losses'), new.pop('losses')
                try:
                    ulps = output_ulps(old_losses, new_losses, run['name'])
                    problem = 'inputs or weights differ' if old != new else (
                        f'{ulps:.0f} ulps apart' if ulps > CHECK_ULPS else None)
                except ValueError as e:
                    problem = str(e)
                status = f'DIFFERS: {problem}' if problem else 'same'
                if problem:
                    differing.append(run['name'])
        else:
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            status = 'written'
        print(f'{run["name"]:20s} loss {losses[0]:.6g} -> {losses[-1]:.6g} over {STEPS} steps  {status}')
    if differing:
        print(f'error: MXNet now trains differently: {", ".join(differing)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
