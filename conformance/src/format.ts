/**
 * The golden-file format (documented for outside backend authors in conformance/README.md).
 * One JSON file per loss; each case is either a call with its expected loss and gradients,
 * or a config/input that MXNet rejects.
 */
import type { Dtype, Shape, Tensor } from '@gluon-loss/spec';

export const GOLDEN_FORMAT = 'gluon-loss-golden';
/** The version this generator writes. */
export const GOLDEN_FORMAT_VERSION = 2;
/**
 * The versions this reader reads. Version 2 adds `expected.ref64` (the float64 reference,
 * required in every call case) and may mark a case `headGradDefault`; a version-1 file
 * has no float64 reference, so its cases are compared by the fixed tolerance alone.
 */
export const GOLDEN_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** A JSON number, or the strings that stand for the values JSON cannot hold. */
export type GoldenNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface GoldenTensorJson {
  /** `float64` only in a float64 reference (`expected.ref64`). */
  readonly dtype: Dtype | 'float64';
  readonly shape: readonly number[];
  /** Row-major; `null` marks an element MXNet leaves undefined (expected values only). */
  readonly data: readonly (GoldenNumber | null)[];
}

export interface GoldenCaseJson {
  readonly name: string;
  /** The name the case constructs the loss by (an alias, sometimes). */
  readonly loss: string;
  readonly description: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, GoldenTensorJson | GoldenNumber>>;
  readonly headGrad?: GoldenTensorJson;
  /** Since version 2: MXNet ran `backward()` with no head gradient; headGrad holds the ones it used. */
  readonly headGradDefault?: boolean;
  readonly expected?: {
    readonly loss: GoldenTensorJson;
    readonly grads: Readonly<Record<string, GoldenTensorJson>>;
    /** Version 2: the same computation in float64 (MXNet on the upcast inputs, or the generator's own). */
    readonly ref64?: {
      readonly loss: GoldenTensorJson;
      readonly grads: Readonly<Record<string, GoldenTensorJson>>;
    };
  };
  readonly error?: { readonly kind: 'config' | 'input'; readonly mxnet: string };
}

export interface GoldenFileJson {
  readonly format: typeof GOLDEN_FORMAT;
  readonly formatVersion: number;
  readonly reference: Readonly<Record<string, string>>;
  readonly loss: string;
  readonly cases: readonly GoldenCaseJson[];
}

/** A decoded expected tensor: values, plus which elements MXNet leaves undefined. */
export interface ExpectedTensor {
  readonly shape: Shape;
  readonly data: Float64Array;
  /** `true` where the golden holds no value (MXNet never wrote it); undefined if none. */
  readonly undefinedMask?: Uint8Array;
}

export interface GoldenCall {
  readonly kind: 'call';
  readonly name: string;
  readonly loss: string;
  readonly description: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, Tensor | number>>;
  readonly headGrad: Tensor<Float32Array>;
  /** MXNet was given no head gradient (`backward()`, ones): call forwardBackward without one. */
  readonly headGradDefault: boolean;
  readonly expectedLoss: ExpectedTensor;
  readonly expectedGrads: Readonly<Record<string, ExpectedTensor>>;
  /**
   * The float64 reference of the loss and of every gradient in `expectedGrads` (same
   * shapes, same undefined elements); absent in a version-1 file.
   */
  readonly ref64?: {
    readonly loss: ExpectedTensor;
    readonly grads: Readonly<Record<string, ExpectedTensor>>;
  };
}

export interface GoldenError {
  readonly kind: 'error';
  readonly name: string;
  readonly loss: string;
  readonly description: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, Tensor | number>>;
  /** 'config': the constructor (compile) must throw ConfigError; 'input': the call must throw InputError. */
  readonly errorKind: 'config' | 'input';
  readonly mxnetMessage: string;
}

export type GoldenCase = GoldenCall | GoldenError;

export interface GoldenSuite {
  readonly reference: Readonly<Record<string, string>>;
  /** Canonical loss name → its cases, in file order. */
  readonly cases: readonly GoldenCase[];
}
