/** `outer x classes x inner` of a row-major shape around one axis (a softmax's rows, a batch axis). */
export interface AxisLayout {
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
}

export function axisLayout(shape: readonly number[], axis: number): AxisLayout {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { outer, classes: shape[axis]!, inner };
}
