/**
 * MXNet's Loss base-class rules, written once for every loss of this backend:
 * `loss * sample_weight` (broadcast to `weightedShape`), then `* weight` (the plan's
 * `appliedWeight`), then the reduction (`mean`/`sum` over every axis but `batchAxis`,
 * `mean-all`, or `none`). Backward, the head gradient becomes G = d(output)/d(unweighted
 * loss), shaped like the unweighted loss, plus the gradient of sample_weight.
 *
 * A loss hands its unweighted values over as *group accumulators*: element `e` of the
 * unweighted loss (row-major) belongs to block `floor(e / inner)`, and block `j` adds
 * into accumulator `j % groups`; its gradient is read from the same group. Two layouts:
 *
 * - fused (sample_weight absent, or of the unweighted loss's own shape after a
 *   broadcast that does not enlarge it): the groups are the reduction's own, so a loss's
 *   loop keeps a running sum in a local and reads one G per block. E.g. L2 on (N, D)
 *   with batch_axis 0: inner = D, groups = N. sample_weight, if any, is handed to the
 *   loop as `weights` (one per element, materialised when it broadcasts): the loop
 *   multiplies each element's loss and G by it, and writes the element's
 *   d(output)/d(sample_weight) = loss * G into the buffer `weightGradTarget()` gives.
 * - per element (sample_weight enlarges the loss, or a loss asks for it): inner = 1 and
 *   one accumulator per element of the unweighted loss; this module then does the
 *   broadcast against sample_weight, the weighting and the reduction itself.
 *
 * Float32 as MXNet computes it: each weighted element is `fround(fround(loss * sw) * w)`,
 * the reduction adds them in order, and a mean divides the float32 sum by the count.
 * Backward, G is `fround(fround(head / count) * w)`, times sw in float32. A fused loop
 * continues its group's accumulator element by element in order in float64, as
 * `addFloat32` (mxnet-ops.ts) adds: ±Inf for good once a partial sum leaves float32's
 * range. That is mshadow's Kahan sum while the sums stay below 2^126 (the spec's
 * KAHAN_EXACT_BELOW); a call past it (`fusedSumsNearMax`) is summed again in the
 * per-element layout, whose reduction here is mshadow's float32 Kahan sum step by step.
 */
import type { CallPlan, FloatTensor } from '@gluon-loss/spec';
import { KAHAN_EXACT_BELOW, KahanSums, sameShape, sizeOf } from '@gluon-loss/spec';
import { broadcastMap, elementOffsets, gatherBroadcast, sumToSource, type BroadcastMap } from './broadcast.js';
import { Float32Scratch, Float64Scratch, Int32Scratch } from './scratch.js';

/** What a fused loop needs to walk its elements (see the module comment). */
export interface FusedWalk {
  /** Contiguous unweighted-loss elements per block. */
  readonly inner: number;
  /** Number of accumulators (and of G values). */
  readonly groups: number;
  /** sample_weight per element, or null. Always null in the per-element layout. */
  readonly weights: Float32Array | null;
  /**
   * MXNet's scalar weight as float32 (1 when it applies none, or in the per-element
   * layout): a loop adds `fround(fround(loss * sw) * weight)` per element (just `loss`,
   * already a float32 value, when there is neither: the test is loop-invariant, and
   * measured 30% faster than the two identity products).
   */
  readonly weight: number;
}

export class LossWeighting implements FusedWalk {
  inner = 1;
  groups = 1;
  weights: Float32Array | null = null;
  weight = 1;

  #fused = true;
  #lossSize = 1;
  #weightedSize = 1;
  #outputShape: readonly number[] = [1];
  /** Reduction layout over the weighted shape: block size and output count. */
  #reductionInner = 1;
  #reductionGroups = 1;
  /** MXNet's scalar weight as float32 (1 when it applies none). */
  #weight32 = 1;
  /** What a mean divides the float32 sum by; 1 for the other reductions. */
  #count = 1;
  /** sample_weight in the weighted shape, or undefined when the call has none. */
  #sampleWeight: Float32Array | undefined;
  #sampleWeightSize = 0;
  /** Offset of each weighted element in the unweighted loss; null = identity. */
  #lossOffsets: Int32Array | null = null;
  /** How sample_weight broadcasts into the weighted shape; null = it has that shape. */
  #weightMap: BroadcastMap | null = null;

  readonly #accumulators = new Float64Scratch();
  readonly #lossGrad = new Float64Scratch();
  readonly #lossOffsetsScratch = new Int32Scratch();
  readonly #broadcastWeight = new Float32Scratch();
  readonly #weightGrad = new Float32Scratch();

  /**
   * Prepares the layout for one call. `perElement` asks for one accumulator per element
   * of the unweighted loss (losses whose loss elements are not a simple walk over their
   * inputs: softmax rows, CTC sequences, cosine rows).
   */
  begin(plan: CallPlan, perElement = false): this {
    const weighted = plan.weightedShape;
    const weightedSize = sizeOf(weighted);
    this.#weight32 = Math.fround(plan.appliedWeight ?? 1);
    this.#lossSize = sizeOf(plan.lossShape);
    this.#weightedSize = weightedSize;
    this.#outputShape = plan.outputShape;
    switch (plan.reduction) {
      case 'mean':
      case 'sum': {
        const batch = weighted[plan.batchAxis]!;
        this.#reductionGroups = batch;
        this.#reductionInner = sizeOf(weighted.slice(plan.batchAxis + 1));
        this.#count = plan.reduction === 'mean' ? weightedSize / batch : 1;
        break;
      }
      case 'mean-all':
        this.#reductionGroups = 1;
        this.#reductionInner = weightedSize;
        this.#count = weightedSize;
        break;
      case 'none':
        this.#reductionGroups = weightedSize;
        this.#reductionInner = 1;
        this.#count = 1;
        break;
    }
    const sampleWeight = plan.tensors.sample_weight;
    const enlarged = !sameShape(plan.lossShape, weighted);
    this.#fused = !perElement && !enlarged;
    this.#lossOffsets = enlarged
      ? elementOffsets(broadcastMap(plan.lossShape, weighted), this.#lossOffsetsScratch.take(weightedSize))
      : null;
    this.#weightMap = null;
    this.#sampleWeight = undefined;
    if (sampleWeight !== undefined) {
      const data = sampleWeight.data as Float32Array;
      this.#sampleWeightSize = data.length;
      if (sameShape(sampleWeight.shape, weighted)) {
        this.#sampleWeight = data;
      } else {
        this.#weightMap = broadcastMap(sampleWeight.shape, weighted);
        this.#sampleWeight = gatherBroadcast(data, this.#weightMap, this.#broadcastWeight.take(weightedSize));
      }
    }
    if (this.#fused) {
      this.inner = this.#reductionInner;
      this.groups = this.#reductionGroups;
      this.weights = this.#sampleWeight ?? null;
      this.weight = this.#weight32;
    } else {
      this.inner = 1;
      this.groups = this.#lossSize;
      this.weights = null;
      this.weight = 1;
    }
    return this;
  }

  /** The accumulators a loss adds its unweighted values into, cleared. */
  accumulators(): Float64Array {
    return this.#accumulators.takeZeroed(this.groups);
  }

  /**
   * G per group: the gradient of the output with respect to each unweighted loss element
   * of that group (in the fused layout, before the element's own sample_weight).
   */
  lossGrad(head: Float32Array): Float64Array {
    const count = this.#count;
    const weight = this.#weight32;
    if (this.#fused) {
      const g = this.#lossGrad.take(this.groups);
      for (let o = 0; o < g.length; o++) g[o] = Math.fround(Math.fround(head[o]! / count) * weight);
      return g;
    }
    const sampleWeight = this.#sampleWeight;
    const lossOffsets = this.#lossOffsets;
    const inner = this.#reductionInner;
    const groups = this.#reductionGroups;
    const size = this.#weightedSize;
    if (lossOffsets === null) {
      const g = this.#lossGrad.take(size);
      for (let e = 0, o = 0; e < size;) {
        const upstream = Math.fround(Math.fround(head[o]! / count) * weight);
        const end = e + inner;
        if (sampleWeight === undefined) for (; e < end; e++) g[e] = upstream;
        else for (; e < end; e++) g[e] = Math.fround(upstream * sampleWeight[e]!);
        if (++o === groups) o = 0;
      }
      return g;
    }
    // sample_weight enlarged the loss: each loss element collects from its copies.
    const g = this.#lossGrad.takeZeroed(this.#lossSize);
    for (let e = 0, o = 0; e < size;) {
      const upstream = Math.fround(Math.fround(head[o]! / count) * weight);
      const end = e + inner;
      if (sampleWeight === undefined) for (; e < end; e++) g[lossOffsets[e]!]! += upstream;
      else for (; e < end; e++) g[lossOffsets[e]!]! += Math.fround(upstream * sampleWeight[e]!);
      if (++o === groups) o = 0;
    }
    return g;
  }

  /**
   * Where a fused loop writes d(output)/d(sample_weight) per element (`loss * G`), or
   * null when there is nothing to write (no sample_weight, or the per-element layout).
   */
  weightGradTarget(): Float32Array | null {
    if (!this.#fused || this.#sampleWeight === undefined) return null;
    // Of sample_weight's own shape: the buffer is the result itself.
    return this.#weightMap === null ? new Float32Array(this.#lossSize) : this.#weightGrad.take(this.#lossSize);
  }

  /**
   * Whether a fused loop's sums reached 2^126 (or NaN), where a float64 running sum may part
   * from mshadow's Kahan sum (the spec's KAHAN_EXACT_BELOW): the loss then computes its
   * output again in the per-element layout. Always false in that layout.
   */
  fusedSumsNearMax(accumulators: Float64Array): boolean {
    if (!this.#fused) return false;
    for (let o = 0; o < this.groups; o++) if (!(Math.abs(accumulators[o]!) < KAHAN_EXACT_BELOW)) return true;
    return false;
  }

  /**
   * `output(accumulators)`, or, where the fused sums came near float32's max
   * (`fusedSumsNearMax`), the loss `perElementLoss` computes again in the per-element
   * layout. Call it once a call's gradients are taken: the second pass begins this
   * weighting again and reuses the loss's scratch.
   */
  outputKahanExact(accumulators: Float64Array, perElementLoss: () => FloatTensor): FloatTensor {
    return this.fusedSumsNearMax(accumulators) ? perElementLoss() : this.output(accumulators);
  }

  /** The loss as MXNet returns it, from the filled accumulators. A fresh tensor. */
  output(accumulators: Float64Array): FloatTensor {
    const count = this.#count;
    const weight = this.#weight32;
    const out = new Float32Array(sizeOf(this.#outputShape));
    if (this.#fused) {
      for (let o = 0; o < out.length; o++) out[o] = Math.fround(accumulators[o]!) / count;
      return { data: out, shape: [...this.#outputShape] };
    }
    // The unweighted loss per element: weighted and summed here, in MXNet's float32 order.
    const kahan = new KahanSums(out.length);
    const sampleWeight = this.#sampleWeight;
    const lossOffsets = this.#lossOffsets;
    const inner = this.#reductionInner;
    const groups = this.#reductionGroups;
    const size = this.#weightedSize;
    for (let e = 0, o = 0; e < size;) {
      const end = e + inner;
      for (; e < end; e++) {
        const loss = Math.fround(accumulators[lossOffsets === null ? e : lossOffsets[e]!]!);
        const weighted = sampleWeight === undefined ? loss : Math.fround(loss * sampleWeight[e]!);
        kahan.add(o, Math.fround(weighted * weight));
      }
      if (++o === groups) o = 0;
    }
    const sums = kahan.sums;
    for (let i = 0; i < out.length; i++) out[i] = sums[i]! / count;
    return { data: out, shape: [...this.#outputShape] };
  }

  /**
   * The gradient of sample_weight, shaped like sample_weight (a fresh array), or
   * undefined when the call has none. In the fused layout it comes from what the loop
   * wrote into `written` (the weightGradTarget buffer); otherwise from the accumulators.
   */
  sampleWeightGrad(
    accumulators: Float64Array,
    head: Float32Array,
    written: Float32Array | null = null,
  ): Float32Array | undefined {
    if (this.#sampleWeight === undefined) return undefined;
    let full: Float32Array;
    if (this.#fused) {
      if (written === null) throw new Error('sampleWeightGrad: the fused loop wrote no sample_weight gradient');
      full = written;
    } else {
      const size = this.#weightedSize;
      full = this.#weightMap === null ? new Float32Array(size) : this.#weightGrad.take(size);
      const lossOffsets = this.#lossOffsets;
      const count = this.#count;
      const weight = this.#weight32;
      const inner = this.#reductionInner;
      const groups = this.#reductionGroups;
      for (let e = 0, o = 0; e < size;) {
        const upstream = Math.fround(Math.fround(head[o]! / count) * weight);
        const end = e + inner;
        if (lossOffsets === null) for (; e < end; e++) full[e] = upstream * Math.fround(accumulators[e]!);
        else for (; e < end; e++) full[e] = upstream * Math.fround(accumulators[lossOffsets[e]!]!);
        if (++o === groups) o = 0;
      }
    }
    if (this.#weightMap === null) return full;
    const grad = new Float32Array(this.#sampleWeightSize);
    sumToSource(full, this.#weightMap, grad);
    return grad;
  }

  release(): void {
    this.#accumulators.release();
    this.#lossGrad.release();
    this.#lossOffsetsScratch.release();
    this.#broadcastWeight.release();
    this.#weightGrad.release();
    this.#sampleWeight = undefined;
    this.weights = null;
  }
}
