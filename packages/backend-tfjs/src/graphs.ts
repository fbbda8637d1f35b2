/**
 * The loss graphs as building blocks for `@gluon-loss/tfjs` (the losses as ordinary tfjs
 * functions): each loss's graph, the shared Loss base-class rules and the call view a
 * graph reads its inputs through. Importing this loads no tfjs backend of this package
 * and activates none.
 */
export { LOSSES } from './loss-table.js';
export { applyLossRules } from './loss-rules.js';
export { ConstantCache, LossCall, type TfjsLoss } from './loss-call.js';
export { MAX_KERNEL_RANK, flattenPlan, kernelRank, planRank } from './flatten.js';
