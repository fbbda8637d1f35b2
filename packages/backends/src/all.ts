/**
 * Every built-in backend package, handed to the registry with literal imports so that a
 * bundler includes them all: for pages that run every backend (the browser harness, the
 * bench). An application imports only the backends it uses instead (see the README).
 */
import { provideBackendPackage } from './index.js';

export function provideEveryBackendPackage(): void {
  provideBackendPackage('@gluon-loss/backend-tfjs', () => import('@gluon-loss/backend-tfjs'));
  provideBackendPackage('@gluon-loss/backend-onnx', () => import('@gluon-loss/backend-onnx'));
}
