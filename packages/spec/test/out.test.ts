/** The `out` option's rule, checked once for every backend: sizes, dtypes, which results, no shared memory. */
import { describe, expect, it } from 'vitest';
import {
  DtypeError,
  InputError,
  ShapeError,
  checkResultBuffers,
  deliverInto,
  parseConfig,
  planCall,
} from '../src/index.js';

const pred = new Float32Array(6);
const label = new Float32Array(6);
const plan = planCall('L2Loss', parseConfig('L2Loss', {}), {
  pred: { data: pred, shape: [2, 3] },
  label: { data: label, shape: [2, 3] },
});

describe('checkResultBuffers', () => {
  it('takes buffers of the results a call returns, and none at all', () => {
    expect(checkResultBuffers(plan, 'forward', undefined)).toBeUndefined();
    expect(checkResultBuffers(plan, 'forward', {})).toBeUndefined();
    const out = { loss: new Float32Array(2), grads: { pred: new Float32Array(6) } };
    expect(checkResultBuffers(plan, 'forwardBackward', { out })).toBe(out);
  });

  it('rejects a wrong size, a wrong dtype, a result the call does not return, an unknown input', () => {
    expect(() => checkResultBuffers(plan, 'forward', { out: { loss: new Float32Array(3) } })).toThrow(ShapeError);
    expect(() => checkResultBuffers(plan, 'forward', { out: 3 as never })).toThrow(/L2Loss: out: expected an object/);
    expect(() => checkResultBuffers(plan, 'forward', null as never)).toThrow(/L2Loss: options: expected an object/);
    expect(() => checkResultBuffers(plan, 'forward', { out: { loss: new Float64Array(2) as never } })).toThrow(
      DtypeError,
    );
    expect(() => checkResultBuffers(plan, 'forward', { out: { grads: { pred: new Float32Array(6) } } })).toThrow(
      /L2Loss: out.grads: expected no gradient buffers on forward/,
    );
    expect(() =>
      checkResultBuffers(plan, 'forwardBackward', { out: { grads: { weight: new Float32Array(6) } } }),
    ).toThrow(/out.grads.weight: expected a buffer only for an input this call differentiates \(pred, label\)/);
    expect(() =>
      checkResultBuffers(plan, 'forwardBackward', { out: { grads: { pred: new Float32Array(5) } } }),
    ).toThrow(ShapeError);
  });

  it('rejects buffers that share memory with each other, an input or the head gradient', () => {
    const shared = new Float32Array(12);
    expect(() =>
      checkResultBuffers(plan, 'forwardBackward', {
        out: { grads: { pred: shared.subarray(0, 6), label: shared.subarray(5, 11) } },
      }),
    ).toThrow(/out.grads.label: expected a buffer that shares no memory .*got memory shared with out.grads.pred/);
    // Adjacent views of one buffer share no element: accepted.
    expect(
      checkResultBuffers(plan, 'forwardBackward', {
        out: { grads: { pred: shared.subarray(0, 6), label: shared.subarray(6, 12) } },
      }),
    ).toBeDefined();
    expect(() => checkResultBuffers(plan, 'forwardBackward', { out: { grads: { label: pred } } })).toThrow(InputError);
    const head = { data: new Float32Array(2), shape: [2] };
    expect(() => checkResultBuffers(plan, 'forwardBackward', { out: { loss: head.data } }, head)).toThrow(
      /memory shared with headGrad/,
    );
  });
});

describe('deliverInto', () => {
  it('copies each result that has a buffer into it and leaves the others', () => {
    const loss = new Float32Array(2);
    const result = {
      loss: { data: new Float32Array([1, 2]), shape: [2] },
      grads: { pred: { data: new Float32Array(6).fill(3), shape: [2, 3] } },
    };
    const delivered = deliverInto({ loss }, result);
    expect(delivered.loss.data).toBe(loss);
    expect(Array.from(loss)).toEqual([1, 2]);
    expect(delivered.grads.pred).toBe(result.grads.pred);
    expect(deliverInto(undefined, result)).toBe(result);
  });
});
