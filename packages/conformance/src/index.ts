export * from './compare.js';
export * from './report.js';
export * from './run.js';
export * from './tolerances.js';
export * from './unavailable.js';
export * from './backend-module.js';
