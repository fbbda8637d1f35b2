/**
 * PoissonNLLLoss (kernels/poisson-nll.c): from_logits `exp(pred) - target * pred`,
 * otherwise `pred - target * log(pred + epsilon)`; compute_full adds the Stirling term
 * as MXNet evaluates it (target == 0 gives NaN). The reduction is a mean over every
 * element (the plan's 'mean-all').
 */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss } from '../elementwise-loss.js';

export class PoissonNLLLoss extends ElementwiseLoss<'PoissonNLLLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super(
      'PoissonNLLLoss',
      config,
      heap,
      (plan) => {
        const { fromLogits, computeFull } = plan.detail;
        return {
          kernel: 'poisson_nll',
          scalars: [plan.scalars.epsilon!, 0, 0, 0, (fromLogits ? 1 : 0) | (computeFull ? 2 : 0)],
        };
      },
      { labelName: 'target', specialValues: true },
    );
  }
}
