/** L2Loss: `square(label - pred)` (kernels/l2.c); MXNet's `weight / 2` is in the plan's appliedWeight. */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss, NO_SCALARS } from '../elementwise-loss.js';

export class L2Loss extends ElementwiseLoss<'L2Loss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('L2Loss', config, heap, () => ({ kernel: 'l2', scalars: NO_SCALARS }), { specialValues: true });
  }
}
