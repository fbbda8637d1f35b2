/**
 * HingeLoss: `relu(margin - pred * label)` in float32 (kernels/hinge.c); label is differentiated
 * too. Special values follow MXNet: relu keeps NaN and maps -Inf to 0, relu_grad is NaN at NaN,
 * and an inactive point's 0 times an infinite operand is NaN.
 */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss } from '../elementwise-loss.js';

export class HingeLoss extends ElementwiseLoss<'HingeLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super(
      'HingeLoss',
      config,
      heap,
      (plan) => ({
        kernel: 'hinge',
        scalars: [plan.detail.margin, 0, 0, 0, 0],
      }),
      { specialValues: true },
    );
  }
}
