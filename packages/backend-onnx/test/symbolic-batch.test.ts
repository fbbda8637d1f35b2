/**
 * The graph comparison behind exportOnnx's symbolic batch (src/graph/symbolic-batch.ts):
 * it merges two builds that differ only where the batch size enters, and refuses a graph
 * whose constants depend on the batch size, even without the export's list of static
 * losses (SDMLLoss), so a loss added later cannot be merged wrongly.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, planCall, sizeOf, type Shape } from '@gluon-loss/spec';
import { buildLossGraph } from '../src/loss-graph.js';
import { lossGraphBuilder } from '../src/loss-table.js';
import { mergeBatchProbes, type BatchProbe } from '../src/graph/symbolic-batch.js';

function probe(loss: string, config: unknown, shapes: Record<string, Shape>, batch: number): BatchProbe {
  const inputs = Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [name, { data: new Float32Array(sizeOf(shape)), shape }]),
  );
  const plan = planCall(loss, parseConfig(loss, config), inputs);
  const graph = buildLossGraph(plan, 'backward', lossGraphBuilder(plan.loss), {
    ctcRecursion: 'scan',
    guardLog: false,
    keepShapes: true,
  });
  return { model: graph.model, batch, shapes: graph.shapes! };
}

describe('mergeBatchProbes', () => {
  it('merges two batch sizes of one graph, naming the batch axis of every input and output', () => {
    const merged = mergeBatchProbes(
      probe('L2Loss', {}, { pred: [7, 3], label: [7, 3] }, 7),
      probe('L2Loss', {}, { pred: [11, 3], label: [11, 3] }, 11),
    );
    expect(merged).toMatchObject({
      ok: true,
      axes: { pred: 0, label: 0, head_grad: 0, loss: 0, grad_pred: 0, grad_label: 0 },
    });
  });

  it("refuses SDMLLoss's batch x batch targets", () => {
    const merged = mergeBatchProbes(
      probe('SDMLLoss', {}, { x1: [7, 3], x2: [7, 3] }, 7),
      probe('SDMLLoss', {}, { x1: [11, 3], x2: [11, 3] }, 11),
    );
    expect(merged.ok).toBe(false);
    expect(merged.ok ? '' : merged.reason).toMatch(/depend on the batch size|scalar/);
  });

  it('refuses two graphs that differ in more than the batch', () => {
    const merged = mergeBatchProbes(
      probe('L2Loss', {}, { pred: [7, 3], label: [7, 3] }, 7),
      probe('L2Loss', {}, { pred: [11, 4], label: [11, 4] }, 11),
    );
    expect(merged).toEqual({
      ok: false,
      reason: expect.stringMatching(/grows with the batch size but is not the batch/),
    });
  });
});
