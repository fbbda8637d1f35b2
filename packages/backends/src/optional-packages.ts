/**
 * The packages an application adds for the backends beyond ts, at the exact versions the
 * goldens were checked on. They are this package's optional peers (package.json), and a
 * test holds this table to that list.
 */
export const OPTIONAL_PACKAGE_VERSIONS = {
  '@gluon-loss/backend-tfjs': '0.1.0',
  '@gluon-loss/backend-onnx': '0.1.0',
  '@tensorflow/tfjs': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  '@tensorflow/tfjs-backend-webgpu': '4.22.0',
  'onnxruntime-web': '1.30.0',
  'onnxruntime-node': '1.30.0',
} as const;

export type OptionalPackage = keyof typeof OPTIONAL_PACKAGE_VERSIONS;
