/** SquaredHingeLoss: `square(relu(margin - pred * label))` in float32 (kernels/squared-hinge.c). */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss } from '../elementwise-loss.js';

export class SquaredHingeLoss extends ElementwiseLoss<'SquaredHingeLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super(
      'SquaredHingeLoss',
      config,
      heap,
      (plan) => ({
        kernel: 'squared_hinge',
        scalars: [plan.detail.margin, 0, 0, 0, 0],
      }),
      { specialValues: true },
    );
  }
}
