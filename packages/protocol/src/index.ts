export * from './errors.js';
export * from './common.js';
export * from './accounts.js';
export * from './channels.js';
export * from './health.js';
