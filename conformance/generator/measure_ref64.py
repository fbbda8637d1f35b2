#!/usr/bin/env python3
"""How far MXNet's float32 results are from their float64 reference, over the goldens.

For every recorded tensor (a loss or a gradient) of every call case, e is the largest
|mx32 - ref64| over its finite elements; it is the float32 error MXNet itself made on
that tensor, which is what packages/conformance/src/tolerances.ts scales its float64
rule by. Prints, per loss, the tensor with the largest e in float32 ulps of its largest
magnitude (of MXNet's value or the reference's, whichever is larger), and how close e comes to the fixed tolerance (e / (atol + rtol * |mx32|) at
the worst element: above 1 means MXNet itself would fail the fixed rule against the
exact answer).

    python3 conformance/generator/measure_ref64.py [--all]
"""
import argparse
import json
from pathlib import Path

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent.parent / 'golden'
RTOL, ATOL = 1e-4, 1e-5


def values(t):
    out = []
    for v in t['data']:
        if v is None:
            out.append(np.nan)  # undefined: skipped with the non-finite
        elif isinstance(v, str):
            out.append({'NaN': np.nan, 'Infinity': np.inf, '-Infinity': -np.inf}[v])
        else:
            out.append(v)
    return np.array(out, dtype=np.float64)


def tensor_error(mx32, ref64):
    """(e, largest |mx32|, e in float32 ulps of it, worst e / fixed bound) over finite elements."""
    m, r = values(mx32), values(ref64)
    finite = np.isfinite(m) & np.isfinite(r)
    if not finite.any():
        return 0.0, 0.0, 0.0, 0.0
    diff = np.abs(m[finite] - r[finite])
    largest = float(max(np.abs(m[finite]).max(), np.abs(r[finite]).max()))
    e = float(diff.max())
    ulp = float(np.spacing(np.float32(largest))) if largest > 0 else float(np.spacing(np.float32(0)))
    return e, largest, e / ulp, float((diff / (ATOL + RTOL * np.abs(m[finite]))).max())


def measure():
    rows = []
    for path in sorted(GOLDEN_DIR.glob('*.json')):
        golden = json.loads(path.read_text())
        for case in golden['cases']:
            expected = case.get('expected')
            if expected is None:
                continue
            tensors = [('loss', expected['loss'], expected['ref64']['loss'])]
            tensors += [(f'grad {k}', g, expected['ref64']['grads'][k]) for k, g in expected['grads'].items()]
            for label, mx32, ref64 in tensors:
                e, largest, ulps, of_fixed = tensor_error(mx32, ref64)
                rows.append((golden['loss'], case['name'], label, e, largest, ulps, of_fixed))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--all', action='store_true', help='every tensor, not just the worst per loss')
    args = parser.parse_args()
    rows = measure()
    header = f'{"loss":30s} {"tensors":>7s} {"worst case / tensor":48s} {"e":>9s} {"|max|":>9s} {"e ulps":>8s} {"e/fixed":>8s}'
    print(header)
    print('-' * len(header))
    losses = sorted({r[0] for r in rows}, key=lambda l: -max(r[5] for r in rows if r[0] == l))
    for loss in losses:
        mine = [r for r in rows if r[0] == loss]
        shown = sorted(mine, key=lambda r: -r[5]) if args.all else [max(mine, key=lambda r: r[5])]
        for r in shown:
            where = f'{r[1].split("/", 1)[1]} {r[2]}'
            print(f'{loss:30s} {len(mine):7d} {where:48s} {r[3]:9.2e} {r[4]:9.2e} {r[5]:8.1f} {r[6]:8.3f}')
    ulps = np.array([r[5] for r in rows])
    print(f'{len(rows)} tensors: median e {np.median(ulps):.1f} ulps, 99th percentile {np.percentile(ulps, 99):.1f}, '
          f'max {ulps.max():.1f}; largest e / fixed bound {max(r[6] for r in rows):.3f}')


if __name__ == '__main__':
    main()
