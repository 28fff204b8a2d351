export { sqnrDb } from '@tessera/core';
export type { Float32ArbOptions, Float32TensorData, ShapeArbOptions } from './arbitraries.js';
export { float32Arb, float32ArrayArb, float32TensorArb, shapeArb } from './arbitraries.js';
export type { BenchReport, BenchRow, Timing } from './bench.js';
export { machineLine, timeIt, writeBenchReport } from './bench.js';
export { expectBitsEqual, expectSqnrAtLeast, expectUlpClose, firstBitMismatch, maxUlpDistance, ulpDistance } from './compare.js';
export { expectNoLeaks } from './leaks.js';
