/**
 * The onnx-webgpu variant must run on the WebGPU EP, so its graphs may only use ops the
 * EP has kernels for. Checked on the graphs of every golden case (forward and gradient),
 * without a GPU: the browser harness then checks ORT's actual placement.
 */
import { describe, expect, it } from 'vitest';
import { readGoldenDir } from '@gluon-loss/golden/node';
import { parseConfig, planCall, type CallPlan } from '@gluon-loss/spec';
import { buildLossGraph, graphOptionsFor } from '../src/index.js';
import { lossGraphBuilder } from '../src/loss-table.js';

/**
 * Ops with a kernel in onnxruntime-web's WebGPU EP at opset 13 (the registration table of
 * onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc), restricted to the kind
 * of ops a loss could use. Notably absent: LogSoftmax, Softplus, Max, Min, Sign, And, Or,
 * Loop, Scan, and in some releases Identity.
 */
const WEBGPU_KERNELS = new Set([
  'Abs',
  'Add',
  'ArgMax',
  'ArgMin',
  'Cast',
  'Ceil',
  'Clip',
  'Concat',
  'CumSum',
  'Div',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'Floor',
  'Gather',
  'GatherElements',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Log',
  'MatMul',
  'Mul',
  'Neg',
  'Not',
  'Pad',
  'Pow',
  'Range',
  'Reciprocal',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSum',
  'ReduceSumSquare',
  'Relu',
  'Reshape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Split',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Tanh',
  'Tile',
  'Transpose',
  'Unsqueeze',
  'Where',
]);

const calls = readGoldenDir()
  .cases.filter((c) => c.kind === 'call')
  .map((c): CallPlan => planCall(c.loss, parseConfig(c.loss, c.config), c.inputs));

describe('graphs of the onnx-webgpu variant', () => {
  it.each(['forward', 'backward'] as const)('use only ops with WebGPU kernels (%s)', (mode) => {
    const outside = new Map<string, string>();
    for (const plan of calls) {
      const graph = buildLossGraph(plan, mode, lossGraphBuilder(plan.loss), graphOptionsFor('webgpu'));
      for (const op of graph.opTypes) if (!WEBGPU_KERNELS.has(op)) outside.set(op, plan.loss);
    }
    expect(Object.fromEntries(outside)).toEqual({});
    expect(calls.length).toBeGreaterThan(250);
  });

  it('differ from the CPU variants in the layout of CTC', () => {
    for (const plan of calls) {
      const ops = buildLossGraph(plan, 'backward', lossGraphBuilder(plan.loss), graphOptionsFor('wasm')).opTypes;
      const longEnough = plan.loss === 'CTCLoss' && 't' in plan.detail && plan.detail.t > 1;
      expect(ops.includes('Scan'), plan.loss).toBe(longEnough);
    }
  });
});
