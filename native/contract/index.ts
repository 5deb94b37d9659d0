export * from './api.js';
export * from './binder.js';
export * from './channels.js';
export * from './guard.js';
export * from './result.js';
export * from './wire.js';
