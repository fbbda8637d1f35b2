/** L1Loss: `abs(label - pred)` (kernels/l1.c); abs's gradient is sign(), 0 at 0 and at NaN. */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss, NO_SCALARS } from '../elementwise-loss.js';

export class L1Loss extends ElementwiseLoss<'L1Loss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super('L1Loss', config, heap, () => ({ kernel: 'l1', scalars: NO_SCALARS }), { specialValues: true });
  }
}
