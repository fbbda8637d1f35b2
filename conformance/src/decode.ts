/** Decodes golden JSON into typed arrays, exactly: every number is a float32 written in its shortest round-trip form. */
import type { Tensor } from '@gluon-loss/spec';
import {
  GOLDEN_FORMAT,
  GOLDEN_FORMAT_VERSIONS,
  type ExpectedTensor,
  type GoldenCall,
  type GoldenCase,
  type GoldenCaseJson,
  type GoldenFileJson,
  type GoldenNumber,
  type GoldenSuite,
  type GoldenTensorJson,
} from './format.js';

export class GoldenFormatError extends Error {
  override readonly name = 'GoldenFormatError';
}

export function decodeNumber(v: GoldenNumber | null | undefined, where: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new GoldenFormatError(`${where}: not a golden number: ${JSON.stringify(v)}`);
}

function checkShape(t: GoldenTensorJson, where: string): void {
  if (!t || !Array.isArray(t.shape) || !Array.isArray(t.data)) throw new GoldenFormatError(`${where}: not a tensor`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length)
    throw new GoldenFormatError(`${where}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
}

export function decodeInputTensor(t: GoldenTensorJson, where: string): Tensor {
  checkShape(t, where);
  const data = t.dtype === 'int32' ? new Int32Array(t.data.length) : new Float32Array(t.data.length);
  t.data.forEach((v, i) => {
    data[i] = decodeNumber(v, where);
  });
  return { data, shape: [...t.shape] };
}

export function decodeExpected(t: GoldenTensorJson, where: string): ExpectedTensor {
  checkShape(t, where);
  const data = new Float64Array(t.data.length);
  let mask: Uint8Array | undefined;
  t.data.forEach((v, i) => {
    if (v === null) {
      mask ??= new Uint8Array(t.data.length);
      mask[i] = 1;
      data[i] = 0;
    } else {
      data[i] = decodeNumber(v, where);
    }
  });
  return mask === undefined ? { shape: [...t.shape], data } : { shape: [...t.shape], data, undefinedMask: mask };
}

export function decodeGoldenFile(json: unknown, source = 'golden file'): GoldenSuite {
  const file = json as GoldenFileJson;
  if (file?.format !== GOLDEN_FORMAT) throw new GoldenFormatError(`${source}: not a ${GOLDEN_FORMAT} file`);
  if (!GOLDEN_FORMAT_VERSIONS.includes(file.formatVersion)) {
    throw new GoldenFormatError(
      `${source}: format version ${file.formatVersion}, this reader knows ${GOLDEN_FORMAT_VERSIONS.join(' and ')}`,
    );
  }
  const cases: GoldenCase[] = file.cases.map((c) => {
    const inputs: Record<string, Tensor | number> = {};
    for (const [name, v] of Object.entries(c.inputs)) {
      inputs[name] =
        typeof v === 'object' && v !== null
          ? decodeInputTensor(v, `${c.name} ${name}`)
          : decodeNumber(v, `${c.name} ${name}`);
    }
    const common = { name: c.name, loss: c.loss, description: c.description, config: c.config, inputs };
    if (c.error) return { kind: 'error', ...common, errorKind: c.error.kind, mxnetMessage: c.error.mxnet } as const;
    if (!c.expected || !c.headGrad) throw new GoldenFormatError(`${c.name}: neither expected values nor an error`);
    const expectedGrads: Record<string, ExpectedTensor> = {};
    for (const [name, g] of Object.entries(c.expected.grads))
      expectedGrads[name] = decodeExpected(g, `${c.name} grad ${name}`);
    const expectedLoss = decodeExpected(c.expected.loss, `${c.name} loss`);
    const headGrad = decodeInputTensor(c.headGrad, `${c.name} headGrad`) as Tensor<Float32Array>;
    const headGradDefault = c.headGradDefault === true;
    if (headGradDefault && !headGrad.data.every((v) => v === 1))
      throw new GoldenFormatError(`${c.name}: headGradDefault with a head gradient that is not all ones`);
    const call = {
      kind: 'call',
      ...common,
      headGrad,
      headGradDefault,
      expectedLoss,
      expectedGrads,
    } as const;
    if (file.formatVersion === 1) return call;
    if (!c.expected.ref64) throw new GoldenFormatError(`${c.name}: a version-2 call case without expected.ref64`);
    return { ...call, ref64: decodeRef64(c.expected.ref64, c.name, expectedLoss, expectedGrads) };
  });
  return { reference: file.reference, cases };
}

function sameLayout(a: ExpectedTensor, b: ExpectedTensor): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  for (let i = 0; i < a.data.length; i++) if ((a.undefinedMask?.[i] ?? 0) !== (b.undefinedMask?.[i] ?? 0)) return false;
  return true;
}

/** The float64 reference, held to the expected tensors' shapes, gradient names and undefined elements. */
function decodeRef64(
  ref: NonNullable<NonNullable<GoldenCaseJson['expected']>['ref64']>,
  name: string,
  loss: ExpectedTensor,
  grads: Readonly<Record<string, ExpectedTensor>>,
): NonNullable<GoldenCall['ref64']> {
  const decoded = { loss: decodeExpected(ref.loss, `${name} ref64 loss`), grads: {} as Record<string, ExpectedTensor> };
  if (!sameLayout(decoded.loss, loss))
    throw new GoldenFormatError(`${name}: ref64 loss differs from expected in shape`);
  const names = Object.keys(grads);
  if (Object.keys(ref.grads).length !== names.length || !names.every((k) => k in ref.grads))
    throw new GoldenFormatError(`${name}: ref64 grads are not those of expected`);
  for (const k of names) {
    decoded.grads[k] = decodeExpected(ref.grads[k]!, `${name} ref64 grad ${k}`);
    if (!sameLayout(decoded.grads[k], grads[k]!))
      throw new GoldenFormatError(`${name}: ref64 grad ${k} differs from expected in shape or undefined elements`);
  }
  return decoded;
}

/** Merges several files (one per loss) into one suite. */
export function mergeSuites(suites: readonly GoldenSuite[]): GoldenSuite {
  const reference = suites[0]?.reference ?? {};
  for (const s of suites) {
    if (s.reference.mxnet !== reference.mxnet)
      throw new GoldenFormatError(`golden files from MXNet ${s.reference.mxnet} and ${reference.mxnet} mixed`);
  }
  return { reference, cases: suites.flatMap((s) => s.cases) };
}
