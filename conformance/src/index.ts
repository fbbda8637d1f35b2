export * from './format.js';
export * from './decode.js';
export * from './training.js';
export * from './replay.js';
