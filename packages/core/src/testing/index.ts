export { sqnrDb } from '../metrics.js';
export type { Float32ArbOptions, Float32TensorData, ShapeArbOptions } from './arbitraries.js';
export { float32Arb, float32ArrayArb, float32TensorArb, shapeArb } from './arbitraries.js';
export { expectBitsEqual, expectSqnrAtLeast, expectUlpClose, firstBitMismatch, maxUlpDistance, ulpDistance } from './compare.js';
export { expectNoLeaks } from './leaks.js';
export { timeIt, machineLine, writeBenchReport } from './bench.js';
export type { Timing, BenchRow, BenchReport } from './bench.js';
