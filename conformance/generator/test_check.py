"""Tests of generate.py's --check comparison: rounding passes, anything else is caught.

    .venv/bin/python -m unittest discover -s conformance/generator -p 'test_*.py'
"""
import copy
import json
import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402


def golden(loss=None, pred_grad=None, inputs=None, ref64_loss=None, ref64=True):
    case = {
        'name': 'L2Loss/basic', 'loss': 'L2Loss', 'description': 'd', 'config': {},
        'inputs': inputs or {'pred': {'dtype': 'float32', 'shape': [2], 'data': [0.5, -1.25]}},
        'headGrad': {'dtype': 'float32', 'shape': [2], 'data': [1.0, 2.0]},
        'expected': {
            'loss': {'dtype': 'float32', 'shape': [2], 'data': loss or [0.75, 0.001]},
            'grads': {'pred': {'dtype': 'float32', 'shape': [2], 'data': pred_grad or [0.25, None]}},
        },
    }
    if ref64:
        case['expected']['ref64'] = {
            'loss': {'dtype': 'float64', 'shape': [2], 'data': ref64_loss or [0.75000001, 0.0010000002]},
            'grads': {'pred': {'dtype': 'float64', 'shape': [2], 'data': [0.2500000003, None]}},
        }
    return json.dumps({'format': generate.FORMAT, 'formatVersion': generate.FORMAT_VERSION, 'loss': 'L2Loss',
                       'cases': [case]})


def nudge64(x: float, ulps: int) -> float:
    """x moved by `ulps` float64 steps."""
    v = float(x)
    for _ in range(ulps):
        v = float(np.nextafter(v, np.inf))
    return v


def nudge(x: float, ulps: int) -> float:
    """x moved by `ulps` float32 steps."""
    v = np.float32(x)
    for _ in range(ulps):
        v = np.nextafter(v, np.float32(np.inf))
    return float(v)


class CompareGoldens(unittest.TestCase):
    def test_identical_files_agree(self):
        self.assertEqual(generate.compare_goldens(golden(), golden()), (None, 0.0))

    def test_last_bit_rounding_is_accepted_and_measured(self):
        problem, worst = generate.compare_goldens(golden(), golden(loss=[nudge(0.75, 3), 0.001]))
        self.assertIsNone(problem)
        self.assertAlmostEqual(worst, 3.0)

    def test_a_change_past_the_ulp_budget_is_caught(self):
        problem, _ = generate.compare_goldens(golden(), golden(loss=[0.75 * (1 + 1e-5), 0.001]))
        self.assertIn('ulps apart', problem)

    def test_small_elements_are_judged_against_their_tensors_magnitude(self):
        # 0.001 moved by 2 ulps of 0.75 (the tensor's largest value) is rounding;
        # moved by 1e-4 it is a change.
        step = float(np.spacing(np.float32(0.75)))
        self.assertIsNone(generate.compare_goldens(golden(), golden(loss=[0.75, 0.001 + 2 * step]))[0])
        self.assertIsNotNone(generate.compare_goldens(golden(), golden(loss=[0.75, 0.0011]))[0])

    def test_undefined_and_nan_markers_must_match_exactly(self):
        self.assertIn('None', generate.compare_goldens(golden(), golden(pred_grad=[0.25, 0.0]))[0])
        self.assertIsNotNone(generate.compare_goldens(golden(loss=[0.75, 'NaN']), golden(loss=[0.75, 0.001]))[0])

    def test_inputs_are_held_to_exact_equality(self):
        moved = {'pred': {'dtype': 'float32', 'shape': [2], 'data': [nudge(0.5, 1), -1.25]}}
        self.assertIn('inputs', generate.compare_goldens(golden(), golden(inputs=moved))[0])

    def test_a_reshaped_output_is_caught(self):
        base = json.loads(golden())
        other = copy.deepcopy(base)
        other['cases'][0]['expected']['loss']['shape'] = [2, 1]
        self.assertIn('shape', generate.compare_goldens(json.dumps(base), json.dumps(other))[0])



class CompareFloat64References(unittest.TestCase):
    def test_float64_rounding_within_the_budget_is_accepted(self):
        moved = [nudge64(0.75000001, generate.REF64_CHECK_ULPS), 0.0010000002]
        self.assertIsNone(generate.compare_goldens(golden(), golden(ref64_loss=moved))[0])

    def test_a_float64_change_past_the_budget_is_caught(self):
        # 1e-11 of 0.75 is far below a float32 ulp (6e-8), but it is not rounding.
        moved = [0.75000001 + 1e-11, 0.0010000002]
        problem, _ = generate.compare_goldens(golden(), golden(ref64_loss=moved))
        self.assertIn('float64 ulps apart', problem)

    def test_a_missing_float64_reference_is_caught(self):
        self.assertIn('float64 references', generate.compare_goldens(golden(), golden(ref64=False))[0])

    def test_non_finite_float64_values_must_match_exactly(self):
        self.assertIsNotNone(generate.compare_goldens(golden(ref64_loss=['Infinity', 0.001]),
                                                      golden(ref64_loss=[0.75, 0.001]))[0])

    def test_float64_numbers_are_written_in_their_shortest_round_trip_form(self):
        for x in (0.1, 1 / 3, 2.0 ** -1074, 1e300, -0.0):
            token = generate.number_token(x, 'float64')
            self.assertEqual(float(token), x)
            self.assertEqual(token, repr(x))
        self.assertEqual(generate.number_token(np.inf, 'float64'), '"Infinity"')
        self.assertEqual(generate.number_token(np.nan, 'float64'), '"NaN"')
        self.assertEqual(generate.number_token(1 / 3, 'float32'), '0.33333334')


if __name__ == '__main__':
    unittest.main()
