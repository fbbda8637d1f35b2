import { LOSS_NAMES, planCall, parseConfig } from '@gluon-loss/spec';
import { describe, expect, it } from 'vitest';
import {
  CellFilter,
  ELEMENTWISE_SHAPES,
  SCALE_SIZES,
  TARGET_SIZES,
  fullGrid,
  prepareCase,
  quickGrid,
  type BenchCase,
} from '../src/index.js';

const sizesOf = (grid: BenchCase[], loss: string): string[] => grid.filter((c) => c.loss === loss).map((c) => c.size);

describe('the grid', () => {
  const full = fullGrid();
  const quick = quickGrid();

  it('covers every loss of the spec, in both grids', () => {
    expect([...new Set(full.map((c) => c.loss))]).toEqual(LOSS_NAMES);
    expect([...new Set(quick.map((c) => c.loss))]).toEqual(LOSS_NAMES);
  });

  it('times elementwise losses at 1K, 64K and 1M elements, and 16M in the full grid', () => {
    expect(ELEMENTWISE_SHAPES.map(([r, c]) => r * c)).toEqual([1024, 65536, 1048576]);
    for (const loss of [
      'L2Loss',
      'L1Loss',
      'HuberLoss',
      'HingeLoss',
      'LogisticLoss',
      'SigmoidBinaryCrossEntropyLoss',
    ]) {
      expect(full.filter((c) => c.loss === loss).map((c) => c.elements)).toEqual([1024, 65536, 1048576, 16777216]);
    }
  });

  it("reaches the issue's target sizes in the full grid only", () => {
    expect(sizesOf(full, 'SoftmaxCrossEntropyLoss')).toContain(TARGET_SIZES.softmaxCE);
    expect(sizesOf(full, 'CTCLoss')).toContain(TARGET_SIZES.ctc);
    expect(sizesOf(full, 'L2Loss')).toContain(TARGET_SIZES.elementwise);
    expect(quick.some((c) => Object.values(TARGET_SIZES).includes(c.size as never))).toBe(false);
  });

  it('adds the scale cells to the full grid only, each the largest of its loss', () => {
    const largest = (loss: string) => sizesOf(full, loss).at(-1);
    expect(largest('L2Loss')).toBe(SCALE_SIZES.elementwise);
    expect(largest('SoftmaxCrossEntropyLoss')).toBe(SCALE_SIZES.softmaxCE);
    expect(largest('CTCLoss')).toBe(SCALE_SIZES.ctc);
    expect(full.find((c) => c.size === SCALE_SIZES.softmaxCE)!.shape).toEqual([256, 32000]);
    // T=500 with the target cell's batch and classes, so the step from T=100 is visible
    expect(full.find((c) => c.size === SCALE_SIZES.ctc)!.shape).toEqual([32, 500, 32]);
    expect(quick.some((c) => Object.values(SCALE_SIZES).includes(c.size as never))).toBe(false);
  });

  it('keeps the two smallest sizes of each loss in the quick grid, ascending', () => {
    for (const loss of LOSS_NAMES) {
      const q = quick.filter((c) => c.loss === loss);
      expect(q).toHaveLength(2);
      expect(q.map((c) => c.size)).toEqual(sizesOf(full, loss).slice(0, 2));
      expect(q[0]!.elements).toBeLessThan(q[1]!.elements);
    }
  });

  it('labels each case with a size that is unique within its loss', () => {
    for (const loss of LOSS_NAMES) expect(new Set(sizesOf(full, loss)).size).toBe(sizesOf(full, loss).length);
  });

  it('gives every case inputs that the spec accepts (its shapes and values)', () => {
    for (const c of quick) {
      const p = prepareCase(c);
      expect(() => planCall(c.loss, parseConfig(c.loss, c.config), p.inputs)).not.toThrow();
      expect(Object.values(p.inputs)[0]!.data.length).toBe(c.elements);
      expect(Object.values(p.inputs)[0]!.shape).toEqual(c.shape);
    }
  });
});

describe('prepareCase', () => {
  const l2 = fullGrid().find((c) => c.loss === 'L2Loss' && c.size === '1024x1024')!;

  it('draws the same numbers every time (MXNet and every backend time identical data)', () => {
    const a = prepareCase(l2);
    const b = prepareCase(l2);
    const bytes = (t: Float32Array): Buffer => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    expect(bytes(a.inputs.pred!.data).equals(bytes(b.inputs.pred!.data))).toBe(true);
    expect(bytes(a.inputs.pred!.data).equals(bytes(a.inputs.label!.data))).toBe(false);
  });

  it('counts the bytes a call must move: inputs, loss, and for forwardBackward the head gradient and gradients', () => {
    const p = prepareCase(l2);
    const n = 1024 * 1024;
    // pred and label in, (1024,) loss out
    expect(p.forwardBytes).toBe(4 * (2 * n + 1024));
    // plus the (1024,) head gradient in and both gradients out (label is differentiable in MXNet)
    expect(p.gradInputs).toEqual(['pred', 'label']);
    expect(p.forwardBackwardBytes).toBe(4 * (4 * n + 2 * 1024));
  });

  it('keeps CTC labels off the blank (the last channel) and SoftmaxCE labels within the classes', () => {
    const ctc = prepareCase(fullGrid().find((c) => c.loss === 'CTCLoss' && c.size === TARGET_SIZES.ctc)!);
    expect(Math.max(...ctc.inputs.label!.data)).toBeLessThan(31);
    expect(Math.min(...ctc.inputs.label!.data)).toBeGreaterThanOrEqual(0);
    const sce = prepareCase(
      fullGrid().find((c) => c.loss === 'SoftmaxCrossEntropyLoss' && c.size === TARGET_SIZES.softmaxCE)!,
    );
    expect(sce.inputs.label!.data.every((v) => Number.isInteger(v) && v >= 0 && v < 1000)).toBe(true);
    expect(sce.gradInputs).toEqual(['pred']);
  });
});

describe('CellFilter', () => {
  const at = { loss: 'SoftmaxCrossEntropyLoss', size: '64x10', backend: 'onnx-node', mode: 'forward' };

  it('selects everything without a pattern', () => {
    expect(new CellFilter([]).matches(at)).toBe(true);
  });

  it('matches loss/size/backend/mode parts as globs, missing parts matching all', () => {
    expect(new CellFilter(['SoftmaxCrossEntropyLoss']).matches(at)).toBe(true);
    expect(new CellFilter(['L2Loss']).matches(at)).toBe(false);
    expect(new CellFilter(['*/*/onnx-*']).matches(at)).toBe(true);
    expect(new CellFilter(['*/*/ts']).matches(at)).toBe(false);
    expect(new CellFilter(['*/64x*/*/forwardBackward']).matches(at)).toBe(false);
    expect(new CellFilter(['*/64x*/*/forward']).matches(at)).toBe(true);
  });

  it("accepts MXNet's aliases for the loss", () => {
    expect(new CellFilter(['SoftmaxCELoss/*/onnx-node']).matches(at)).toBe(true);
  });

  it('keeps a cell that any pattern selects', () => {
    expect(new CellFilter(['L2Loss', '*/*/onnx-node']).matches(at)).toBe(true);
  });

  it('does not check parts the caller leaves out (anchors have no backend)', () => {
    expect(new CellFilter(['*/*/ts']).matches({ loss: 'L2Loss', size: '32x32', mode: 'forward' })).toBe(true);
  });
});
