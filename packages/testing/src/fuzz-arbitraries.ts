// Arbitraries for the fuzz harness: hostile values of every JS type, and structure-aware values (the right type with
// a wrong value: disposed tensors, empty tensors with huge dimensions, wrong dtypes, out-of-range integers).
// Tensors are generated as *specs* (plain data) and made into real tensors by the harness for each case, so that
// fast-check can replay and shrink them and the harness can dispose them afterwards.
import fc from 'fast-check';

/** Marker of a {@link TensorSpec}. */
export const TENSOR_SPEC: unique symbol = Symbol.for('tessera.fuzz.tensorSpec');
/** Marker of a {@link LazyValue}. */
export const LAZY_VALUE: unique symbol = Symbol.for('tessera.fuzz.lazyValue');

/** Description of a tensor the harness builds before a call (and disposes after it). */
export interface TensorSpec {
  readonly [TENSOR_SPEC]: true;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
  /** Dispose the tensor before the call (a "disposed tensor" argument). */
  readonly disposed: boolean;
  /** How to fill the elements. */
  readonly fill: 'normal' | 'small-int' | 'zero' | 'nan' | 'huge';
  readonly seed: number;
}

/** A value built by a factory for each case (e.g. a KeyedJaggedTensor); its tensors are disposed after the call. */
export interface LazyValue {
  readonly [LAZY_VALUE]: true;
  readonly label: string;
  readonly make: () => unknown;
}

/** Options of {@link tensorSpecArb}. */
export interface TensorSpecArbOptions {
  dtypes?: readonly TensorSpec['dtype'][];
  /** Rank range, default [0, 3]. */
  rank?: readonly [number, number];
  /** Largest dimension of a non-empty tensor, default 6. */
  maxDim?: number;
  /** Largest element count, default 256. */
  maxSize?: number;
  /** Mix in empty tensors with huge dimensions (`[1e9, 0]`, `[0, 2^31 − 1]`), default true. */
  hugeEmpty?: boolean;
  /** Mix in disposed tensors, default true. */
  disposed?: boolean;
  /** Fills to draw from, default all. */
  fills?: readonly TensorSpec['fill'][];
}

/** Whether `v` is a {@link TensorSpec}. */
export function isTensorSpec(v: unknown): v is TensorSpec {
  return typeof v === 'object' && v !== null && (v as { [TENSOR_SPEC]?: unknown })[TENSOR_SPEC] === true;
}

/** Whether `v` is a {@link LazyValue}. */
export function isLazyValue(v: unknown): v is LazyValue {
  return typeof v === 'object' && v !== null && (v as { [LAZY_VALUE]?: unknown })[LAZY_VALUE] === true;
}

/**
 * A value made by `make()` for every case (a fresh KJT, an encoded tensor …). Tensors it holds are disposed by the
 * harness after the call.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { lazyValue } from '@tessera/testing';
 * const arb = lazyValue('ones', () => tf.ones([2]));
 * ```
 */
export function lazyValue(label: string, make: () => unknown): fc.Arbitrary<LazyValue> {
  const v: LazyValue = Object.freeze({ [LAZY_VALUE]: true as const, label, make, toString: () => `lazy(${label})` });
  return fc.constant(v);
}

/**
 * Specs of tensors: small random ones of the allowed dtypes and ranks, plus (by default) disposed tensors and empty
 * tensors with huge dimensions.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { tensorSpecArb } from '@tessera/testing';
 * fc.sample(tensorSpecArb({ dtypes: ['float32'], rank: [1, 2] }), 3);
 * ```
 */
export function tensorSpecArb(o: TensorSpecArbOptions = {}): fc.Arbitrary<TensorSpec> {
  const {
    dtypes = ['float32', 'int32', 'bool'],
    rank = [0, 3],
    maxDim = 6,
    maxSize = 256,
    hugeEmpty = true,
    disposed = true,
    fills = ['normal', 'small-int', 'zero', 'nan', 'huge'],
  } = o;
  const mk = (shape: readonly number[], dtype: TensorSpec['dtype'], dead: boolean, fill: TensorSpec['fill'], seed: number): TensorSpec =>
    Object.freeze({ [TENSOR_SPEC]: true as const, shape: Object.freeze([...shape]), dtype, disposed: dead, fill, seed });
  const shapeArb = fc
    .array(fc.integer({ min: 0, max: maxDim }), { minLength: rank[0], maxLength: rank[1] })
    .filter((s) => s.reduce((a, b) => a * b, 1) <= maxSize);
  const normal = fc
    .tuple(shapeArb, fc.constantFrom(...dtypes), fc.constantFrom(...fills), fc.nat())
    .map(([s, d, f, seed]) => mk(s, d, false, f, seed));
  const parts: fc.Arbitrary<TensorSpec>[] = [normal];
  if (hugeEmpty) {
    const hi = Math.max(rank[1], 1);
    const lo = Math.max(rank[0], 1);
    const huge = fc
      .tuple(fc.integer({ min: lo, max: hi }), fc.constantFrom(1e9, 2 ** 31 - 1, 1e12, 65537), fc.nat(), fc.constantFrom(...dtypes))
      .map(([r, big, pos, d]) => {
        const shape = Array.from({ length: r }, () => big);
        shape[pos % r] = 0;
        return mk(shape, d, false, 'zero', 0);
      });
    parts.push(huge);
  }
  if (disposed) parts.push(normal.map((t) => mk(t.shape, t.dtype, true, t.fill, t.seed)));
  return fc.oneof(...parts.map((arbitrary, i) => ({ arbitrary, weight: i === 0 ? 4 : 1 })));
}

/**
 * The error thrown by the hostile values' own getters (e.g. a `length` getter that throws). A function that reads such
 * a property may let it propagate: it is the caller's code failing, so the harness accepts it like a TesseraError.
 */
export class HostileValueError extends Error {
  constructor() {
    super('hostile getter');
    this.name = 'HostileValueError';
  }
}

class ThrowingGetter {
  get length(): number {
    throw new HostileValueError();
  }
}

/** A fixed catalogue of hostile values that often break validation code. */
export function hostileConstants(): unknown[] {
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = [deep];
  let deepObj: unknown = 1;
  for (let i = 0; i < 3000; i++) deepObj = { a: deepObj };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  // fast-check prints counterexamples recursively: give the deep values a short printed form
  Object.defineProperty(deep, fc.toStringMethod, { value: () => '[…5,000 nested arrays…]' });
  Object.defineProperty(deepObj, fc.toStringMethod, { value: () => '{a:…3,000 nested objects…}' });
  return [
    undefined,
    null,
    0,
    -0,
    -1,
    0.5,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53,
    1e300,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    1n,
    -(2n ** 64n),
    Symbol('hostile'),
    '',
    'ab',
    '1',
    'x'.repeat(10_000),
    true,
    false,
    [],
    [Number.NaN],
    [1n, 2n],
    [Symbol('s')],
    [-1, -1],
    [0.5, 2],
    ['a', 1],
    [[[[1]]]],
    [null],
    [undefined],
    deep,
    deepObj,
    cyclic,
    { length: 1e10 },
    { length: -1 },
    { length: 2 ** 32 },
    new Array(1_000_000),
    new ThrowingGetter(),
    Object.create(null),
    {},
    () => 1,
    new Float64Array(3),
    new Int32Array([1, -1]),
    new Uint8Array(0),
    new BigInt64Array(2),
    new ArrayBuffer(8),
    new Map([['a', 1]]),
    new Set([1]),
    new Date(0),
    /x/,
    Promise.resolve(1),
  ];
}

/**
 * Any JS value, weighted toward the ones that break validation: `fc.anything()` (with BigInt, typed arrays, sparse
 * arrays, null prototypes), the {@link hostileConstants} (BigInt, Symbol, NaN, ±Infinity, 2^53, 1e300, strings,
 * `{ length: 1e10 }`, 5,000-level nested arrays, cyclic objects, throwing getters …), and huge or negative numbers.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { hostileValueArb } from '@tessera/testing';
 * fc.sample(hostileValueArb(), 5);
 * ```
 */
export function hostileValueArb(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...hostileConstants()), weight: 4 },
    {
      arbitrary: fc.anything({
        maxDepth: 2,
        maxKeys: 4,
        withBigInt: true,
        withTypedArray: true,
        withSparseArray: true,
        withNullPrototype: true,
        withBoxedValues: true,
      }),
      weight: 2,
    },
    { arbitrary: fc.oneof(fc.double(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.bigInt()), weight: 1 },
    { arbitrary: fc.array(fc.oneof(fc.double(), fc.integer({ min: -10, max: 10 })), { maxLength: 6 }), weight: 1 },
  );
}

/**
 * `arb` most of the time, a {@link hostileValueArb} value otherwise (right type with right value vs. anything).
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { orHostile } from '@tessera/testing';
 * const blockSize = orHostile(fc.constantFrom(8, 16, 32));
 * ```
 */
export function orHostile<T>(arb: fc.Arbitrary<T>, hostileWeight = 1, validWeight = 3): fc.Arbitrary<T | unknown> {
  return fc.oneof({ arbitrary: arb, weight: validWeight }, { arbitrary: hostileValueArb(), weight: hostileWeight });
}

/**
 * Integers around the edges of typical bounds: small values, 0, −1, powers of two up to 2^53, 1e300, NaN, ±Infinity
 * and fractions — the right type (a number) with wrong values.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { edgeNumberArb } from '@tessera/testing';
 * fc.sample(edgeNumberArb(), 5);
 * ```
 */
export function edgeNumberArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: -4, max: 70 }), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        0,
        -1,
        0.5,
        2 ** 16,
        2 ** 16 + 1,
        2 ** 24,
        2 ** 30,
        2 ** 31,
        2 ** 31 - 1,
        2 ** 32,
        2 ** 53,
        1e12,
        1e300,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ),
      weight: 2,
    },
  );
}

/**
 * Integer arrays with wrong entries mixed in (negative, fractional, NaN, huge, BigInt), or wrong containers.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { intArrayArb } from '@tessera/testing';
 * fc.sample(intArrayArb({ maxLength: 4 }), 3);
 * ```
 */
export function intArrayArb(o: { maxLength?: number; min?: number; max?: number } = {}): fc.Arbitrary<unknown> {
  const { maxLength = 8, min = 0, max = 8 } = o;
  const ok = fc.array(fc.integer({ min, max }), { maxLength });
  return fc.oneof(
    { arbitrary: ok, weight: 4 },
    { arbitrary: ok.map((a) => Int32Array.from(a)), weight: 1 },
    { arbitrary: fc.array(edgeNumberArb(), { maxLength }), weight: 2 },
    { arbitrary: hostileValueArb(), weight: 1 },
  );
}

/**
 * One tensor spec of a given shape (for arguments whose shapes must agree, e.g. q, k and v).
 *
 * @example
 * ```ts
 * import { tensorSpec } from '@tessera/testing';
 * const q = tensorSpec([1, 4, 2, 8], 'float32');
 * ```
 */
export function tensorSpec(
  shape: readonly number[],
  dtype: TensorSpec['dtype'] = 'float32',
  o: { disposed?: boolean; fill?: TensorSpec['fill']; seed?: number } = {},
): TensorSpec {
  return Object.freeze({
    [TENSOR_SPEC]: true as const,
    shape: Object.freeze([...shape]),
    dtype,
    disposed: o.disposed ?? false,
    fill: o.fill ?? 'normal',
    seed: o.seed ?? 0,
  });
}
