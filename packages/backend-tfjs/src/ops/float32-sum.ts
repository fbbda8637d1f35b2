import * as tf from '@tensorflow/tfjs';
import { unaryCustomGrad } from './unary-custom-grad.js';

/**
 * Sums as MXNet's float32 sums end, and the broadcast whose gradient is one.
 *
 * mshadow's sum is Kahan-compensated float32: accurate over any length, and ±Inf for
 * good once a partial sum overflows (`[3e38, 3e38, -3e38]` sums to Inf). So the value is
 * an accurate sum, and where a partial sum can overflow (or meets Inf or NaN), a float32
 * running sum over the reduced elements in row-major order (tfjs's cumsum rounds every
 * step to float32, on cpu and wasm) finds the sums that overflow and gives their Inf (or
 * NaN, when an Inf of the other sign follows).
 *
 * The accurate sum depends on the kernel's own: tfjs-cpu's Sum adds in float64, so blocks
 * of its sums are accurate (`blockedRowSum`); tfjs-wasm's adds float32 one after another,
 * and even in blocks its rounding errors add up: a block of equal terms rounds the same
 * way at every step, so the label gradient of a KLDiv label broadcast over 12,345
 * elements, two such sums of ~18,000 cancelling to -137.4, came out 0.023 (12 ulps of
 * the sums) off MXNet's (golden KLDivLoss/diff-1-119-wasm). There a row longer than a
 * block is split first (`splitRowSum`): into parts that add without a rounding, and
 * small remainders.
 */

/**
 * tfjs-webgl and tfjs-webgpu take ordinary values only (spec rules/ordinary-values.ts:
 * their sums cannot overflow), reduce by trees, and a cumsum over 39,150 elements lost the
 * WebGPU device in headless Chromium: there the plain sum is MXNet's.
 */
function onGpu(): boolean {
  const backend = tf.getBackend();
  return backend === 'webgl' || backend === 'webgpu';
}

/** Block length of `blockedSum`: its error grows with about 2 x 128 additions, not n. */
const BLOCK = 128;

/**
 * The sum of `rows` (2-D) along its second axis in blocks of BLOCK elements, then over the
 * block sums, and so on. The zeros that pad the last block change no sum (Inf and NaN included).
 */
function blockedRowSum(rows: tf.Tensor): tf.Tensor {
  const count = rows.shape[0]!;
  while (rows.shape[1]! > BLOCK) {
    const length = rows.shape[1]!;
    const padded = tf.pad(rows, [
      [0, 0],
      [0, Math.ceil(length / BLOCK) * BLOCK - length],
    ]);
    rows = tf.sum(tf.reshape(padded, [count, -1, BLOCK]), 2);
  }
  return tf.sum(rows, 1, true);
}

/** `rows`' sums (`accurate`) where their float32 running sum stays finite, the running sum's Inf or NaN elsewhere. */
function withRunningSum(rows: tf.Tensor, accurate: tf.Tensor): tf.Tensor {
  const length = rows.shape[1]!;
  const running = tf.slice(tf.cumsum(rows, 1), [0, length - 1], [-1, 1]);
  return tf.where(tf.isFinite(running), accurate, running);
}

/**
 * The split of AccSum (Rump, Ogita and Oishi) of `rows` by `sigma` (per row,
 * `max|x| * spread`, `spread` a power of two at least 4n): each `hi = (sigma + x) - sigma`
 * is x rounded to a multiple of `ulp(sigma) / 2`, and `lo = x - hi` is exact. n such
 * multiples, below `sigma / 2` in all, add without a rounding in any order (for rows up to
 * 2^22 elements); each `lo` is at most `ulp(sigma)` (and `|lo| <= |x|`).
 */
function split(rows: tf.Tensor, sigma: tf.Tensor): { hiSum: tf.Tensor; lo: tf.Tensor } {
  const hi = tf.sub(tf.add(rows, sigma), sigma);
  return { hiSum: tf.sum(hi, 1, true), lo: tf.sub(rows, hi) };
}

/**
 * The sum of `rows` by two splits (`split`; the first remainders are at most
 * `sigma * 2^-23`, which gives the second its sigma), the remainders of the second summed
 * in blocks: the parts add exactly down to about 2^-46 of sigma, so the result is about
 * one rounding from the exact sum, as mshadow's Kahan sum is, even where large terms
 * cancel exactly (`[3e38, -3e38, 1.25]` sums to 1.25, where the remainders of one split
 * of 3e38 would swamp the 1.25).
 */
function splitSum(rows: tf.Tensor, sigma: tf.Tensor, spread: number): tf.Tensor {
  const first = split(rows, sigma);
  const second = split(first.lo, tf.mul(sigma, spread * 2 ** -23));
  return tf.add(tf.add(first.hiSum, second.hiSum), blockedRowSum(second.lo));
}

/**
 * The sum of `rows` (2-D) along its second axis, for a Sum kernel that adds float32 one
 * element after another (tfjs-wasm's), by `splitSum`. A row whose sigma would overflow
 * (|x| from `2^126 / spread`) is scaled down by a power of two first, and back after
 * (exact but for elements that become subnormal, 2^-200 of its largest one and less).
 * Nothing is read back (the losses of @gluon-loss/tfjs never read a float tensor), so
 * the running sum decides where the sum is not finite.
 */
function splitRowSum(rows: tf.Tensor): tf.Tensor {
  const spread = 2 ** (Math.ceil(Math.log2(rows.shape[1]!)) + 2);
  const largest = tf.max(tf.abs(rows), 1, true);
  const downscale = tf.where(tf.less(largest, 2 ** 126 / spread), tf.scalar(1), tf.scalar(1 / (2 * spread)));
  const scaled = splitSum(tf.mul(rows, downscale), tf.mul(tf.mul(largest, downscale), spread), spread);
  return withRunningSum(rows, tf.div(scaled, downscale));
}

/**
 * `sum(x, axes)` as MXNet's float32 sum ends (see above). The gradient is the sum's: dy
 * broadcast. On wasm a row longer than `splitAbove` (default one block) is split
 * (`splitRowSum`); a loss whose result amplifies a sum's last ulps asks for less.
 */
export function float32Sum(
  x: tf.Tensor,
  axes: readonly number[],
  keepDims = false,
  { splitAbove = BLOCK }: { splitAbove?: number } = {},
): tf.Tensor {
  if (onGpu()) return tf.sum(x, [...axes], keepDims);
  const shape = x.shape;
  const reduced = [...axes].sort((a, b) => a - b);
  const kept = shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const keptShape = kept.map((d) => shape[d]!);
  const expanded = shape.map((n, d) => (reduced.includes(d) ? 1 : n));
  return unaryCustomGrad((input) => {
    const order = [...kept, ...reduced];
    const moved = order.every((d, i) => d === i) ? input : tf.transpose(input, order);
    const length = reduced.reduce((n, d) => n * shape[d]!, 1);
    const rows = tf.reshape(moved, [keptShape.reduce((n, m) => n * m, 1), length]);
    // A row of one block is tfjs-wasm's own sum (at most 127 roundings): the split's dozen
    // kernels would cost a small call more than the rest of its loss.
    const split = tf.getBackend() === 'wasm' && length > splitAbove;
    const value = split ? splitRowSum(rows) : withRunningSum(rows, blockedRowSum(rows));
    return {
      value: tf.reshape(value, keepDims ? expanded : keptShape),
      gradFunc: (dy) => tf.broadcastTo(tf.reshape(dy, expanded), shape),
    };
  })(x);
}

/**
 * `x` broadcast to `shape` (numpy rules), its gradient summed back by `float32Sum`: the
 * gradient of MXNet's broadcasting operators is such a sum over the broadcast axes. Only
 * for an operand of an element-wise operator that would broadcast it anyway.
 */
export function broadcastTo(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (x.shape.length === shape.length && x.shape.every((n, d) => n === shape[d])) return x;
  // On a GPU variant the operand is left to the next operator's own broadcasting (the same
  // numpy rule), whose gradient is tfjs's sum: tfjs has no gradient of a rank-5 tile there.
  if (onGpu()) return x;
  const source = [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape];
  const axes = shape.map((_, d) => d).filter((d) => source[d] === 1 && shape[d] !== 1);
  return unaryCustomGrad((input) => ({
    value: tf.broadcastTo(input, [...shape]),
    gradFunc: (dy) => tf.reshape(float32Sum(dy, axes), input.shape),
  }))(x);
}
