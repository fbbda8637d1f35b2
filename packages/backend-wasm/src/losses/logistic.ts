/**
 * LogisticLoss: `relu(x) - x*z + softrelu(-|x|)` with `z = (label + 1) / 2` (signed) or
 * `label` (binary), kernels/logistic.c; MXNet's gradient conventions at x = 0 are there.
 */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss } from '../elementwise-loss.js';

export class LogisticLoss extends ElementwiseLoss<'LogisticLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super(
      'LogisticLoss',
      config,
      heap,
      (plan) => ({
        kernel: 'logistic',
        scalars: [0, 0, 0, 0, plan.detail.signed ? 1 : 0],
      }),
      { specialValues: true },
    );
  }
}
