/**
 * Reverse-mode differentiation over the tape that `GraphOps` records: the gradient graph
 * is the forward graph plus, for each recorded op in reverse order, the nodes of its
 * vector-Jacobian product. A value used twice has its gradients summed.
 */
import { formatShape, sameShape } from '@gluon-loss/spec';
import type { Value } from './onnx-graph.js';
import type { GraphOps } from './ops.js';

/**
 * The vector-Jacobian products `headGrad^T * d(output)/d(x)` for every `x` in `wrt`
 * (values marked differentiable before the forward pass was built), each shaped like `x`.
 * An input the output does not depend on gets zeros.
 */
export function gradients(ops: GraphOps, output: Value, headGrad: Value, wrt: readonly Value[]): Value[] {
  if (!sameShape(output.shape, headGrad.shape)) {
    throw new Error(
      `head gradient ${formatShape(headGrad.shape)} does not match the output ${formatShape(output.shape)}`,
    );
  }
  const grads = new Map<string, Value>([[output.name, headGrad]]);
  return ops.untaped(() => {
    for (let i = ops.tape.length - 1; i >= 0; i--) {
      const entry = ops.tape[i]!;
      const g = grads.get(entry.output.name);
      if (g === undefined) continue;
      const needs = entry.inputs.map((v) => ops.isDifferentiable(v));
      const inputGrads = entry.vjp(g, needs);
      entry.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (gi === undefined || !needs[k]) return;
        if (!sameShape(gi.shape, input.shape)) {
          throw new Error(
            `gradient of ${input.name} has shape ${formatShape(gi.shape)}, expected ${formatShape(input.shape)}`,
          );
        }
        const previous = grads.get(input.name);
        grads.set(input.name, previous === undefined ? gi : ops.add(previous, gi));
      });
    }
    return wrt.map((x) => grads.get(x.name) ?? ops.zeros(x.shape));
  });
}
