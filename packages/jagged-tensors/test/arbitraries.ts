// The arbitraries live in the ./testing subpath (src/testing/arbitraries.ts); tests import them from here.
export type { KjtData } from '../src/testing/arbitraries.js';
export { groupingArb, kjtDataArb, makeKjt } from '../src/testing/arbitraries.js';
