export * from './charts.js';
export * from './model.js';
export * from './html.js';
export * from './render.js';
