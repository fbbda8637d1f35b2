/**
 * gluon-loss: MXNet 1.9.1's gluon.loss in TypeScript. `createLoss` gives a loss that runs
 * on the fastest backend here among those that passed every MXNet golden case of that
 * loss, falls back when a backend fails, and explains what it did. Browser-safe: the
 * Node-only helpers are in `gluon-loss/node`.
 */
export {
  Router,
  createRouter,
  createLoss,
  getDefaultRouter,
  configureDefaultRouter,
  exportDecisions,
  importDecisions,
  type RouterOptions,
  type CreateLossOptions,
  type InjectedBackend,
} from './router.js';
/** How `createLoss` checks a literal loss name and its config at compile time (the spec's rule). */
export type { ConfigOf, LossNameArg } from '@gluon-loss/spec';
export { RoutedLoss } from './routed-loss.js';
export { LOSS_INPUT_NAMES, type InputsOf, type LossOf, type TypedLoss } from './typed-inputs.js';
export { NoBackendError, AllBackendsFailedError, type BackendAttempt } from './errors.js';
export { parsePolicy, type Policy, type ParsedPolicy } from './policy.js';
export { shapeBucket, ceilPow2 } from './shape-bucket.js';
export {
  DEFAULT_CALIBRATION,
  median,
  rankByMedian,
  type CalibrationSettings,
  type CandidateTiming,
  type Clock,
  type TimingStatus,
} from './calibration.js';
export {
  DECISIONS_FORMAT,
  DecisionsFormatError,
  parseDecisions,
  type CallMode,
  type Decision,
  type DecisionRule,
} from './decisions.js';
export { SHIPPED_ELIGIBILITY, type DeclaredEligibility } from './eligibility.js';
export {
  eligibilityFromReport,
  lossesPassedCompletely,
  type ConformanceReportLike,
  type EligibilityTable,
} from './eligibility-rule.js';
export {
  formatExplanation,
  type Explanation,
  type FaultRecord,
  type LastCall,
  type RouteExplanation,
} from './explanation.js';
export type { BackendAvailability, BackendLoader } from './backend-pool.js';
// A bundled app hands the registry the backend packages it imports (see the README).
export {
  provideBackendPackage,
  type BackendOptions,
  type BackendPackages,
  type OnnxWasmPaths,
  type TfjsWasmPaths,
} from '@gluon-loss/backends';
// The spec's tensors and errors, so an application needs one import.
export {
  ConfigError,
  DtypeError,
  GluonLossError,
  InputError,
  ShapeError,
  UnknownLossError,
  BackendUnavailableError,
  BackendFailureError,
  DisposedError,
  LOSS_NAMES,
  tensor,
  type Backend,
  type FloatTensor,
  type ForwardBackwardResult,
  type ForwardResult,
  type LossConfigInput,
  type LossInputs,
  type LossName,
  type Tensor,
} from '@gluon-loss/spec';
export { sampleCall, type SampleCall, type SampleSize } from './sample-inputs.js';
