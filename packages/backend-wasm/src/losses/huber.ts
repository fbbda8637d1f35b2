/**
 * HuberLoss (kernels/huber.c). MXNet's scalar operators take their scalar as a double and
 * round it to float32 in the kernel, so `rho / 2` and `0.5 / rho` are computed here in
 * double and handed over as float32, as MXNet's `loss - 0.5 * rho` and `(0.5 / rho) * ...`.
 * The kernel's gradient takes the head gradient inside MXNet's own float32 products, so
 * special values (where's 0 * Inf in the untaken branch, G * (0.5/rho) overflowing) follow it.
 */
import type { KernelHeap } from '../kernels.js';
import { ElementwiseLoss } from '../elementwise-loss.js';

export class HuberLoss extends ElementwiseLoss<'HuberLoss'> {
  constructor(config: unknown, heap: KernelHeap) {
    super(
      'HuberLoss',
      config,
      heap,
      (plan) => {
        const rho = plan.detail.rho;
        return { kernel: 'huber', scalars: [rho, 0.5 * rho, 0.5 / rho, 0, 0] };
      },
      { specialValues: true },
    );
  }
}
