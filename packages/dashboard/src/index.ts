export * from './charts.js';
export * from './model.js';
export * from './html.js';
export * from './render.js';
export * from './text.js';
export * from './training-file.js';
