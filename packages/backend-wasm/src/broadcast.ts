/**
 * numpy/MXNet broadcasting over flat row-major arrays. A broadcast of a source into a
 * target shape is described by a map: for every row of the target (its last axis), the
 * offset in the source where that row starts, and whether the source runs along the row
 * (stride 1) or repeats one value (stride 0, the last axis broadcast). Materialising an
 * operand is then a copy or fill per row, and summing a gradient back to the operand's
 * own shape an add or a row sum per row: plain loops, no per-element index table.
 *
 * Only the general paths use this; the common case (no broadcast) never builds a map.
 */
import { addFloat32, sameShape, sizeOf, type Shape } from '@gluon-loss/spec';

export { sameShape };

export interface BroadcastMap {
  /** Where each target row starts in the source. */
  readonly rowOffsets: Int32Array;
  /** Length of a target row (the target's last axis). */
  readonly rowLength: number;
  /** 1 if the source runs along the row, 0 if it repeats one value. */
  readonly rowStride: 0 | 1;
}

/** The map of `source` broadcast into `target` (the spec's planCall has checked they broadcast). */
export function broadcastMap(source: Shape, target: Shape): BroadcastMap {
  const ndim = target.length;
  const lead = ndim - source.length;
  const strides = new Array<number>(ndim);
  let sourceStride = 1;
  for (let d = ndim - 1; d >= 0; d--) {
    const size = d >= lead ? source[d - lead]! : 1;
    // A size-1 (or missing) source axis repeats: stride 0.
    strides[d] = size === 1 ? 0 : sourceStride;
    sourceStride *= size;
  }
  const rowLength = target[ndim - 1]!;
  const rows = sizeOf(target) / rowLength;
  const rowOffsets = new Int32Array(rows);
  const counter = new Array<number>(ndim).fill(0);
  let base = 0;
  for (let r = 0; r < rows; r++) {
    rowOffsets[r] = base;
    // Advance the odometer over the axes before the last.
    for (let d = ndim - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++counter[d]! < target[d]!) break;
      base -= strides[d]! * target[d]!;
      counter[d] = 0;
    }
  }
  return { rowOffsets, rowLength, rowStride: strides[ndim - 1] === 0 ? 0 : 1 };
}

/** The source offset of every target element (for loops that need random access). */
export function elementOffsets({ rowOffsets, rowLength, rowStride }: BroadcastMap, out: Int32Array): Int32Array {
  for (let r = 0, e = 0; r < rowOffsets.length; r++) {
    const base = rowOffsets[r]!;
    for (let k = 0; k < rowLength; k++) out[e++] = base + k * rowStride;
  }
  return out;
}

/** The source materialised in the target shape. */
export function gatherBroadcast(
  source: Float32Array,
  { rowOffsets, rowLength, rowStride }: BroadcastMap,
  out: Float32Array,
): Float32Array {
  for (let r = 0, e = 0; r < rowOffsets.length; r++, e += rowLength) {
    const base = rowOffsets[r]!;
    if (rowStride === 1) out.set(source.subarray(base, base + rowLength), e);
    else out.fill(source[base]!, e, e + rowLength);
  }
  return out;
}

/**
 * Sums a target-shaped array back onto the source's elements (the gradient of a
 * broadcast), accumulated in float64 with MXNet's float32 overflow (the spec's
 * addFloat32: a partial sum past float32's range is ±Inf for good), then stored into
 * `out` (source-shaped).
 */
export function sumToSource(
  full: Float32Array | Float64Array,
  { rowOffsets, rowLength, rowStride }: BroadcastMap,
  out: Float32Array | Float64Array,
): void {
  const sums = new Float64Array(out.length);
  for (let r = 0, e = 0; r < rowOffsets.length; r++) {
    const base = rowOffsets[r]!;
    if (rowStride === 1) {
      for (let k = 0; k < rowLength; k++) sums[base + k] = addFloat32(sums[base + k]!, full[e++]!);
    } else {
      let rowSum = sums[base]!;
      for (let k = 0; k < rowLength; k++) rowSum = addFloat32(rowSum, full[e++]!);
      sums[base] = rowSum;
    }
  }
  out.set(sums);
}
