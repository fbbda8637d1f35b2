"""The oracle's pipe encoding (oracle.py): exact values both ways, and the comparison that
decides whether MXNet answered a call the same way twice."""
import base64
import json
import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402


def wire(values, undefined=None):
    return oracle.wire_tensor(np.asarray(values, dtype=np.float32), undefined=undefined)['data']


class WireTest(unittest.TestCase):
    def test_round_trip_is_exact(self):
        values = np.array([-0.0, np.nan, np.inf, -np.inf, 0.1, 1e-45], dtype=np.float32)
        text = json.dumps({'t': oracle.wire_tensor(values)}, default=oracle.wire_json)
        back = oracle.decode_tensor(json.loads(text)['t'])
        self.assertEqual(back.tobytes(), values.tobytes())

    def test_int32_labels_decode_to_int64(self):
        t = {'dtype': 'int32', 'shape': [2],
             'data': {'b64': base64.b64encode(np.array([-2**31, 7], dtype='<i4').tobytes()).decode()}}
        self.assertEqual(oracle.decode_tensor(t).tolist(), [-2**31, 7])

    def test_any_nan_equals_any_other_but_signed_zeros_differ(self):
        other_nan = np.array([0x7fc00001], dtype=np.uint32).view(np.float32)[0]
        self.assertEqual(wire([np.nan, 1.0]), wire([other_nan, 1.0]))
        self.assertNotEqual(wire([0.0]), wire([-0.0]))
        self.assertNotEqual(wire([1.0]), wire([1.0 + 2**-23]))

    def test_undefined_elements_are_not_compared(self):
        mask = np.array([False, True])
        self.assertEqual(wire([1.0, 5.0], mask), wire([1.0, -3.0], mask))
        self.assertNotEqual(wire([1.0, 5.0], mask), wire([1.0, 5.0]))
        self.assertNotIn('undefined', wire([1.0, 5.0], np.array([False, False])).json())


if __name__ == '__main__':
    unittest.main()
