import { describe, expect, it } from 'vitest';
import {
  CompiledLossBase,
  DisposedError,
  DtypeError,
  GluonLossError,
  InputError,
  ShapeError,
  checkHeadGrad,
  parseConfig,
  planCall,
  type CallPlan,
  type ForwardBackwardResult,
  type ForwardResult,
  type LossInputs,
} from '../src/index.js';

const f32 = (values: number[], shape: number[] = [values.length]) => ({ data: Float32Array.from(values), shape });

function reject(loss: string, inputs: LossInputs, config: Record<string, unknown> = {}): GluonLossError {
  try {
    planCall(loss, parseConfig(loss, config), inputs);
  } catch (e) {
    if (e instanceof GluonLossError) return e;
    throw e;
  }
  throw new Error('planCall accepted it');
}

describe('planCall rejects bad input with a typed error naming loss, argument and expectation', () => {
  it('a missing required input', () => {
    const e = reject('L1Loss', { pred: f32([1, 2]) });
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/^L1Loss: label: expected a value/);
  });

  it('an unknown input name', () => {
    const e = reject('L1Loss', { pred: f32([1]), label: f32([1]), weights: f32([1]) });
    expect(e.argument).toBe('weights');
    expect(e.expected).toBe('one of the inputs pred, label, sample_weight');
  });

  it('an unsupported dtype (Float64Array today), naming the array type', () => {
    const e = reject('L1Loss', { pred: { data: new Float64Array(2), shape: [2] } as never, label: f32([1, 2]) });
    expect(e).toBeInstanceOf(DtypeError);
    expect(e.kind).toBe('dtype');
    expect(e.message).toBe('L1Loss: pred: expected Float32Array, got Float64Array');
  });

  it('an int32 pred (only labels and lengths may be int32)', () => {
    expect(reject('L2Loss', { pred: { data: new Int32Array(2), shape: [2] }, label: f32([1, 2]) })).toBeInstanceOf(
      DtypeError,
    );
  });

  it('accepts an int32 label', () => {
    const plan = planCall('L2Loss', parseConfig('L2Loss'), {
      pred: f32([1, 2]),
      label: { data: Int32Array.from([1, 2]), shape: [2] },
    });
    expect(plan.outputShape).toEqual([2]);
  });

  it('a plain array instead of a tensor', () => {
    expect(reject('L1Loss', { pred: [1, 2] as never, label: f32([1, 2]) }).message).toContain('got a plain array');
  });

  it('data whose length does not match the shape', () => {
    const e = reject('L1Loss', { pred: { data: new Float32Array(5), shape: [2, 3] }, label: f32([1, 2]) });
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe('L1Loss: pred: expected 6 elements for shape [2, 3], got 5 elements');
  });

  it('a zero-sized or 0-D shape', () => {
    expect(reject('L1Loss', { pred: { data: new Float32Array(0), shape: [0] }, label: f32([]) })).toBeInstanceOf(
      ShapeError,
    );
    expect(reject('L1Loss', { pred: { data: new Float32Array(1), shape: [] }, label: f32([1]) })).toBeInstanceOf(
      ShapeError,
    );
  });

  it('shapes that do not fit, naming both shapes', () => {
    const e = reject('L2Loss', { pred: f32([1, 2, 3, 4, 5, 6], [2, 3]), label: f32([1, 2, 3, 4]) });
    expect(e.message).toBe('L2Loss: label: expected 6 elements, like pred [2, 3], got [4] (4 elements)');
    const sw = reject('L1Loss', {
      pred: f32([1, 2, 3, 4, 5, 6], [2, 3]),
      label: f32([1, 2, 3, 4, 5, 6]),
      sample_weight: f32([1, 2]),
    });
    expect(sw.message).toBe('L1Loss: sample_weight: expected a shape that broadcasts with the loss [2, 3], got [2]');
  });

  it('a non-finite call-time scalar', () => {
    expect(reject('PoissonNLLLoss', { pred: f32([1]), target: f32([1]), epsilon: Number.NaN }).argument).toBe(
      'epsilon',
    );
  });

  it('CTC values MXNet would read out of bounds', () => {
    const pred = { data: new Float32Array(2 * 5 * 4), shape: [2, 5, 4] };
    const label = (values: number[]) => f32(values, [2, 2]);
    expect(reject('CTCLoss', { pred, label: label([0, 4, 1, -1]) }).message).toBe(
      'CTCLoss: label: expected values that round to integers in [0, 3] (class indices, then -1 padding), got 4',
    );
    expect(reject('CTCLoss', { pred, label: label([0, -2, 1, -1]) }).argument).toBe('label');
    // -1.5 rounds (half away from zero, as MXNet reads it) to -2: out of bounds.
    expect(reject('CTCLoss', { pred, label: label([0, -1.5, 1, -1]) }).argument).toBe('label');
    expect(reject('CTCLoss', { pred, label: label([0, 3.5, 1, -1]) }).argument).toBe('label');
    expect(reject('CTCLoss', { pred, label: label([0, 1, 1, -1]), pred_lengths: f32([6, 5]) }).argument).toBe(
      'pred_lengths',
    );
    expect(reject('CTCLoss', { pred, label: label([0, 1, 1, -1]), pred_lengths: f32([-1, 5]) }).argument).toBe(
      'pred_lengths',
    );
    expect(reject('CTCLoss', { pred, label: label([0, 1, 1, -1]), label_lengths: f32([3, 1]) }).argument).toBe(
      'label_lengths',
    );
    expect(reject('CTCLoss', { pred, label: label([0, -1, 1, -1]), label_lengths: f32([2, 1]) }).message).toContain(
      'class indices within label_lengths',
    );
    expect(
      reject('CTCLoss', { pred: { data: new Float32Array(10), shape: [2, 5, 1] }, label: label([-1, -1, -1, -1]) })
        .message,
    ).toContain('at least 2 channels');
  });

  it('ignores what follows the first -1 of a CTC label row, as MXNet does', () => {
    const pred = { data: new Float32Array(2 * 5 * 4), shape: [2, 5, 4] };
    expect(
      planCall('CTCLoss', parseConfig('CTCLoss'), { pred, label: f32([1, -1, 9, 0, -1, 7], [2, 3]) }).outputShape,
    ).toEqual([2]);
  });

  it('accepts a non-finite sparse SoftmaxCE label, as MXNet does (pick reads class 0)', () => {
    // mx.nd.pick(x, nd.array([nan, inf, -inf]), axis=-1) picks class 0 (rules/pick.ts).
    const plan = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss'), {
      pred: f32([1, 2, 3, 4, 5, 6], [3, 2]),
      label: f32([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    });
    expect(plan.outputShape).toEqual([3]);
  });

  it('accepts fractional CTC labels and lengths, which MXNet rounds', () => {
    const pred = { data: new Float32Array(2 * 5 * 4), shape: [2, 5, 4] };
    const plan = planCall('CTCLoss', parseConfig('CTCLoss'), {
      pred,
      label: f32([0.7, 2.6, -0.6, -7], [2, 2]),
      pred_lengths: f32([4.5, 0.4]),
    });
    expect(plan.outputShape).toEqual([2]);
  });
});

describe('planCall applies the Loss base-class rules', () => {
  it("SoftmaxCE's (N,) sample_weight broadcasts against the (N, 1) loss to (N, N)", () => {
    const plan = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss'), {
      pred: f32([0, 2, 1, 4], [2, 2]),
      label: f32([0, 1]),
      sample_weight: f32([1, 3]),
    });
    expect(plan.lossShape).toEqual([2, 1]);
    expect(plan.weightedShape).toEqual([2, 2]);
    expect(plan.outputShape).toEqual([2]);
  });

  it('L2Loss applies weight / 2', () => {
    expect(
      planCall('L2Loss', parseConfig('L2Loss', { weight: 3 }), { pred: f32([1]), label: f32([1]) }).appliedWeight,
    ).toBe(1.5);
  });

  it('returns gradients only for the differentiable inputs given', () => {
    const plan = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss'), {
      pred: f32([0, 2], [1, 2]),
      label: f32([1]),
    });
    expect(plan.gradInputs).toEqual(['pred']);
    const dense = planCall('SoftmaxCELoss', parseConfig('SoftmaxCELoss', { sparse_label: false }), {
      pred: f32([0, 2], [1, 2]),
      label: f32([0.5, 0.5], [1, 2]),
    });
    expect(dense.gradInputs).toEqual(['pred', 'label']);
  });

  it('checks the head gradient against the output shape, naming both', () => {
    const plan = planCall('L1Loss', parseConfig('L1Loss'), {
      pred: f32([1, 2, 3, 4], [2, 2]),
      label: f32([1, 2, 3, 4]),
    });
    expect(() => checkHeadGrad(plan, f32([1, 2, 3]))).toThrow(
      'L1Loss: headGrad: expected the output shape [2], got [3]',
    );
    expect(() => checkHeadGrad(plan, { data: new Float64Array(2), shape: [2] } as never)).toThrow(DtypeError);
  });

  it("gives ones, the output's shape, when no head gradient is given (MXNet's backward())", () => {
    const plan = planCall('SoftmaxCrossEntropyLoss', parseConfig('SoftmaxCrossEntropyLoss'), {
      pred: f32([0, 2, 1, 4, 3, 5], [3, 2]),
      label: f32([0, 1, 1]),
    });
    const head = checkHeadGrad(plan, undefined);
    expect(head.shape).toEqual([3]);
    expect([...head.data]).toEqual([1, 1, 1]);
    expect(() => checkHeadGrad(plan, null)).toThrow(DtypeError);
  });
});

class Recorder extends CompiledLossBase {
  runs = 0;
  released = 0;
  constructor() {
    super('test', 'L1Loss', {});
  }
  protected runForward(plan: CallPlan): ForwardResult {
    this.runs++;
    return { loss: { data: new Float32Array(plan.outputShape[0]!), shape: plan.outputShape } };
  }
  protected runForwardBackward(plan: CallPlan): ForwardBackwardResult {
    this.runs++;
    return { ...this.runForward(plan), grads: {} };
  }
  protected override release(): void {
    this.released++;
  }
}

describe('CompiledLossBase', () => {
  it('rejects bad input before the backend runs', async () => {
    const c = new Recorder();
    await expect(c.forward({ pred: f32([1]) })).rejects.toBeInstanceOf(InputError);
    await expect(c.forwardBackward({ pred: f32([1]), label: f32([1]) }, f32([1, 2]))).rejects.toBeInstanceOf(
      ShapeError,
    );
    expect(c.runs).toBe(0);
  });

  it('releases once and refuses calls after dispose', async () => {
    const c = new Recorder();
    await c.forward({ pred: f32([1]), label: f32([1]) });
    c.dispose();
    c.dispose();
    expect(c.released).toBe(1);
    await expect(c.forward({ pred: f32([1]), label: f32([1]) })).rejects.toBeInstanceOf(DisposedError);
  });

  it('parses its config with the spec', () => {
    expect(
      () =>
        new (class extends Recorder {
          constructor() {
            super();
          }
        })(),
    ).not.toThrow();
  });
});

describe('messages name what is wrong', () => {
  it('a head gradient of the right shape but the wrong data length says so', () => {
    const plan = planCall('L2Loss', parseConfig('L2Loss', {}), {
      pred: f32([1, 2], [2, 1]),
      label: f32([1, 2], [2, 1]),
    });
    const error = (() => {
      try {
        checkHeadGrad(plan, { data: new Float32Array(3), shape: [2] });
      } catch (e) {
        return e as ShapeError;
      }
    })()!;
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.message).toBe('L2Loss: headGrad: expected 2 elements for the output shape [2], got 3 elements');
  });

  it('a NaN call-time scalar is shown as NaN, not as "number"', () => {
    const error = reject('PoissonNLLLoss', { pred: f32([1]), target: f32([1]), epsilon: Number.NaN });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('got NaN');
  });
});

describe('inputs are read once', () => {
  it('a compiled loss that reads after an await computes on a copy taken at call time', async () => {
    class Late extends CompiledLossBase {
      constructor() {
        super('late', 'L2Loss', {}, { readsAfterAwait: true });
      }
      protected async runForward(plan: CallPlan): Promise<ForwardResult> {
        await Promise.resolve();
        return { loss: { data: Float32Array.from(plan.tensors.pred!.data), shape: [1] } };
      }
      protected runForwardBackward(): ForwardBackwardResult {
        throw new Error('not used');
      }
    }
    const pred = f32([1]);
    const running = new Late().forward({ pred, label: f32([0]) });
    pred.data[0] = 99;
    expect((await running).loss.data[0]).toBe(1);
  });
});
