export * from './format.js';
export * from './decode.js';
