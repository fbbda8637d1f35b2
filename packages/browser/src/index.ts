export * from './protocol.js';
export * from './chromium.js';
export * from './server.js';
export * from './run-in-browser.js';
export * from './placement.js';
export * from './build-page.js';
