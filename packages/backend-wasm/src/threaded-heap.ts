/**
 * The heap of wasm-simd-mt: the threaded module on a shared WebAssembly.Memory, one
 * instance here and one in each worker of the pool. Each worker runs on its own stack,
 * carved out below the calls' allocations.
 */
import { heapBaseOf, KernelHeap, type Instance } from './kernels.js';
import { WorkerPool, type WorkerHost } from './pool.js';

/** Stack of each worker's instance (the kernels need a few bytes of it). */
export const WORKER_STACK_BYTES = 65536;
const PAGE = 65536;

export class ThreadedHeap extends KernelHeap {
  /**
   * @param threads threads a large call is spread over, this one included (so
   *   `threads - 1` workers).
   */
  constructor(
    module: WebAssembly.Module,
    private readonly host: WorkerHost,
    readonly threads: number,
  ) {
    super(module);
  }

  override get threaded(): boolean {
    return true;
  }

  protected override createInstance(): Instance {
    const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
    const instance = new WebAssembly.Instance(this.module, { env: { memory } });
    const exports = instance.exports as Record<string, unknown>;
    const base = (heapBaseOf(exports) + 15) & ~15;
    const workers = this.threads - 1;
    const heapBase = base + workers * WORKER_STACK_BYTES;
    const have = memory.buffer.byteLength;
    if (heapBase > have) memory.grow(Math.ceil((heapBase - have) / PAGE));
    const stackTops = Array.from({ length: workers }, (_, i) => base + (i + 1) * WORKER_STACK_BYTES);
    const pool = workers > 0 ? new WorkerPool(this.host, this.module, memory, stackTops) : undefined;
    return { memory, heapBase, exports, pool };
  }

  /**
   * Starts the instance and its workers now and waits until every worker has its own
   * instance: a host that cannot run them (a blocked worker script) fails here, in the
   * probe, instead of in the first large call.
   */
  async warmUp(): Promise<void> {
    const call = this.begin('probe');
    call.end();
    await call.pool?.ready;
  }

  protected override dropInstance(instance: Instance): void {
    instance.pool?.terminate();
  }
}
