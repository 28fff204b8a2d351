// @tessera/jagged-tensors/testing — fast-check arbitraries and the synthetic session generator for tests.

export type { SessionBatch, SessionBatchOptions, SessionFeatureSpec } from '../synthetic.js';
export { defaultSessionFeatures, generateSessionBatch } from '../synthetic.js';
export type { KjtData } from './arbitraries.js';
export { groupingArb, kjtDataArb, makeKjt } from './arbitraries.js';
