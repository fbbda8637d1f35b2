import { describe, expect, it } from 'vitest';
import {
  Anchors,
  evaluateTargets,
  fastestCell,
  formatMxnetSummary,
  formatPerElement,
  geometricMean,
  withRatios,
  type TargetResult,
} from '../src/index.js';
import { cell, results, roofline } from './fixtures.js';

const MiB16 = 16 * 2 ** 20;
const big = '1024x1024';

describe('ratios of one run', () => {
  const run = results({
    cells: [
      cell('ts', 'L2Loss', big, 'forwardBackward', 3, { bytes: MiB16 }),
      cell('onnx-node', 'L2Loss', big, 'forwardBackward', 2, { bytes: MiB16 }),
      cell('ts', 'L2Loss', big, 'forward', null),
    ],
    mxnet: [cell('mxnet', 'L2Loss', big, 'forwardBackward', 2)],
    jax: [cell('jax', 'L2Loss', big, 'forwardBackward', 0.5), cell('jax', 'L2Loss', big, 'forward', null)],
    builtin: [
      cell('tfjs-cpu', 'L2Loss', big, 'forwardBackward', 12),
      cell('tfjs-wasm', 'L2Loss', big, 'forwardBackward', 6),
    ],
    roofline: [roofline(MiB16, 1.2)],
  });

  it('divides the backend median by each anchor median of the same loss, size and mode', () => {
    const r = Anchors.of(run).ratios(run.cells[0]!)!;
    expect(r.mxnet).toBeCloseTo(3 / 2, 12);
    expect(r.jax).toBeCloseTo(3 / 0.5, 12);
    expect(r.tfjsBuiltin).toEqual({ 'tfjs-cpu': 3 / 12, 'tfjs-wasm': 3 / 6 });
    // roofline: the time of a copy of the same bytes over the cell's time
    expect(r.roofline).toBeCloseTo(1.2 / 3, 12);
  });

  it('gives a cell that did not run no ratios, and an unmatched anchor null', () => {
    const anchors = Anchors.of(run);
    expect(anchors.ratios(run.cells[2]!)).toBeUndefined();
    const lone = cell('ts', 'L1Loss', big, 'forward', 1);
    expect(anchors.ratios(lone)).toEqual({ mxnet: null, jax: null, tfjsBuiltin: {}, roofline: null });
    // JAX's forward failed: no JAX ratio for it, though JAX ran the other mode
    expect(anchors.ratios(cell('ts', 'L2Loss', big, 'forward', 1))!.jax).toBeNull();
  });

  it('annotates every timed cell of the file, anchors included', () => {
    const annotated = withRatios(run);
    expect(annotated.cells[1]!.ratios!.mxnet).toBe(1);
    expect(annotated.cells[2]!.ratios).toBeUndefined();
    expect(annotated.reference.tfjsBuiltin.cells[0]!.ratios!.mxnet).toBe(6);
    expect(annotated.reference.jax!.cells[0]!.ratios!.mxnet).toBe(0.25);
    expect(annotated.reference.mxnet.cells[0]!.ratios!.jax).toBe(4);
  });

  it('sets the time per element on every timed cell, anchors included', () => {
    const annotated = withRatios(run);
    // 3 ms over 1M elements
    expect(annotated.cells[0]!.nsPerElement).toBeCloseTo(3e6 / 2 ** 20, 9);
    expect(annotated.cells[2]!.nsPerElement).toBeUndefined();
    expect(annotated.reference.jax!.cells[0]!.nsPerElement).toBeCloseTo(0.5e6 / 2 ** 20, 9);
    expect(annotated.reference.mxnet.cells[0]!.nsPerElement).toBeCloseTo(2e6 / 2 ** 20, 9);
  });

  it('prints the ratios to JAX beside those to MXNet, and the time per element', () => {
    const annotated = withRatios(run);
    const summary = formatMxnetSummary(annotated);
    expect(summary).toMatch(/vs JAX fwd\+bwd/);
    // ts: 3 ms against MXNet's 2 and JAX's 0.5
    expect(summary).toMatch(/^ts .* 1\.50× .* 6\.00×$/m);
    const perElement = formatPerElement(annotated);
    const row = perElement.split('\n').find((l) => l.includes('forwardBackward'))!;
    expect(row.split(/\s{2,}/)).toEqual(['L2Loss 1024x1024', 'forwardBackward', 'onnx-node', '1.91', '1.91', '0.48']);
  });

  it('finds the fastest timed backend of a cell', () => {
    expect(fastestCell(run.cells, { loss: 'L2Loss', size: big, mode: 'forwardBackward' })!.backend).toBe('onnx-node');
    expect(fastestCell(run.cells, { loss: 'L2Loss', size: big, mode: 'forward' })).toBeUndefined();
  });

  it('summarises ratios by their geometric mean', () => {
    expect(geometricMean([0.5, 2])).toBeCloseTo(1, 12);
    expect(geometricMean([4, 1])).toBeCloseTo(2, 12);
    expect(geometricMean([])).toBeUndefined();
  });
});

describe('targets', () => {
  const run = results({
    cells: [
      cell('ts', 'L2Loss', big, 'forwardBackward', 3, { bytes: MiB16 }),
      cell('onnx-node', 'L2Loss', big, 'forwardBackward', 2, { bytes: MiB16 }),
      cell('ts', 'L1Loss', big, 'forwardBackward', null),
      cell('ts', 'SoftmaxCrossEntropyLoss', '1024x1000', 'forward', 5),
      cell('onnx-node', 'SoftmaxCrossEntropyLoss', '1024x1000', 'forward', 2),
    ],
    mxnet: [
      cell('mxnet', 'L2Loss', big, 'forwardBackward', 2),
      cell('mxnet', 'SoftmaxCrossEntropyLoss', '1024x1000', 'forward', 4),
    ],
    builtin: [cell('tfjs-cpu', 'L2Loss', big, 'forwardBackward', 12)],
    roofline: [roofline(MiB16, 1.2)],
  });
  const targets = evaluateTargets(run);
  const find = (kind: TargetResult['kind'], loss: string, mode = 'forwardBackward'): TargetResult =>
    targets.find((t) => t.kind === kind && t.loss === loss && t.mode === mode)!;

  it('reports ts slower than MXNet as missed, with the gap', () => {
    const t = find('ts-vs-mxnet', 'L2Loss');
    expect(t.value).toBeCloseTo(1.5, 12);
    expect(t.met).toBe(false);
    // 3 ms against 2 ms: 1.5× the limit, so a third less time is needed
    expect(t.gap).toBe('1.50× over the limit: 33% less time needed');
  });

  it('reports ts at a quarter of the tfjs-cpu built-in as met against the 0.5 limit', () => {
    const t = find('ts-vs-tfjs-builtin', 'L2Loss');
    expect(t.value).toBeCloseTo(0.25, 12);
    expect(t.met).toBe(true);
    expect(t.gap).toBe('met with 50% to spare');
  });

  it('judges the roofline on the fastest backend', () => {
    const t = find('roofline', 'L2Loss');
    expect(t.backend).toBe('onnx-node');
    expect(t.value).toBeCloseTo(1.2 / 2, 12);
    expect(t.met).toBe(true);
  });

  it('judges SoftmaxCE on the fastest backend against MXNet', () => {
    const t = find('fastest-vs-mxnet', 'SoftmaxCrossEntropyLoss', 'forward');
    expect(t.backend).toBe('onnx-node');
    expect(t.value).toBeCloseTo(0.5, 12);
    expect(t.met).toBe(true);
    // forwardBackward has no cell at all: unmeasured, with the reason
    const fb = find('fastest-vs-mxnet', 'SoftmaxCrossEntropyLoss');
    expect(fb.met).toBeNull();
    expect(fb.gap).toMatch(/not measured: no backend ran/);
  });

  it('says why a target could not be measured', () => {
    const t = find('ts-vs-mxnet', 'L1Loss');
    expect(t.met).toBeNull();
    expect(t.value).toBeNull();
    expect(t.gap).toBe('not measured: ts did not run (it threw)');
  });

  it('leaves out targets whose cells are not in the grid (CTC here)', () => {
    expect(targets.some((t) => t.loss === 'CTCLoss')).toBe(false);
    expect(targets.some((t) => t.loss === 'HuberLoss')).toBe(false);
  });

  it('reports a roofline fraction under one half as missed, with the speed-up needed', () => {
    const slow = results({
      cells: [cell('ts', 'HingeLoss', big, 'forward', 4, { bytes: MiB16 })],
      roofline: [roofline(MiB16, 1)],
    });
    const t = evaluateTargets(slow).find((x) => x.kind === 'roofline' && x.mode === 'forward')!;
    expect(t.value).toBeCloseTo(0.25, 12);
    expect(t.met).toBe(false);
    expect(t.gap).toBe('0.25 of the roofline: 2.00× faster needed');
  });
});

describe("backend-wasm's targets (issue 14)", () => {
  const ctc = 'T100 N32 C32 L20';
  const run = results({
    cells: [
      cell('ts', 'L2Loss', big, 'forwardBackward', 3, { bytes: MiB16 }),
      cell('wasm-simd-mt', 'L2Loss', big, 'forwardBackward', 1, { bytes: MiB16 }),
      cell('wasm-simd', 'L2Loss', big, 'forwardBackward', 2, { bytes: MiB16 }),
      cell('ts', 'HuberLoss', '32x32', 'forward', 1, { elements: 1024 }),
      cell('wasm-simd', 'CTCLoss', ctc, 'forward', 2, { elements: 102400 }),
      cell('onnx-node', 'CTCLoss', ctc, 'forward', 1, { elements: 102400 }),
    ],
    mxnet: [cell('mxnet', 'L2Loss', big, 'forwardBackward', 2), cell('mxnet', 'CTCLoss', ctc, 'forward', 5)],
    jax: [cell('jax', 'L2Loss', big, 'forwardBackward', 0.8), cell('jax', 'CTCLoss', ctc, 'forward', 0.25)],
    roofline: [roofline(MiB16, 1.2)],
  });
  const targets = evaluateTargets(run);
  const find = (kind: TargetResult['kind'], loss: string, mode = 'forwardBackward'): TargetResult =>
    targets.find((t) => t.kind === kind && t.loss === loss && t.mode === mode)!;

  it('holds the fastest backend to MXNet on every cell of 64K elements or more, and only there', () => {
    expect(find('fastest-vs-mxnet', 'L2Loss')).toMatchObject({ backend: 'wasm-simd-mt', value: 0.5, met: true });
    expect(targets.some((t) => t.loss === 'HuberLoss')).toBe(false); // 1024 elements
  });

  it('holds backend-wasm, its faster variant, to half of MXNet on CTC', () => {
    const t = find('wasm-vs-mxnet', 'CTCLoss', 'forward');
    expect(t).toMatchObject({ backend: 'wasm-simd', met: true });
    expect(t.value).toBeCloseTo(0.4, 12);
  });

  it('reports the JAX stretch: within 2x on every big cell, at or below 1x on element-wise forwardBackward at 1M', () => {
    // CTC: the fastest (onnx-node, 1 ms) against JAX's 0.25 ms is 4x: missed by 2x.
    const ctcVsJax = find('fastest-vs-jax', 'CTCLoss', 'forward');
    expect(ctcVsJax.value).toBeCloseTo(4, 12);
    expect(ctcVsJax.met).toBe(false);
    expect(ctcVsJax.gap).toBe('2.00× over the limit: 50% less time needed');
    const l2 = find('elementwise-vs-jax', 'L2Loss');
    expect(l2.value).toBeCloseTo(1.25, 12);
    expect(l2.met).toBe(false);
  });

  it('judges the roofline on the fastest single-threaded backend', () => {
    const t = find('roofline', 'L2Loss');
    expect(t.backend).toBe('wasm-simd'); // wasm-simd-mt, faster, is threaded
    expect(t.value).toBeCloseTo(1.2 / 2, 12);
  });

  it('leaves the JAX targets out of a run where JAX did not run', () => {
    const noJax = evaluateTargets(results({ cells: [...run.cells], mxnet: [...run.reference.mxnet.cells] }));
    expect(noJax.some((t) => t.kind === 'fastest-vs-jax' || t.kind === 'elementwise-vs-jax')).toBe(false);
  });
});
