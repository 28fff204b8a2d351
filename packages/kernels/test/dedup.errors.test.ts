// dedupBags: bad arguments throw TesseraError with a stable code before anything is written (both kernel backends).
import { TesseraError } from '@tessera/core';
import { afterAll, describe, expect, test } from 'vitest';
import { DEDUP_MAX_BATCH, dedupBags, setKernelBackend } from '../src/index.js';

afterAll(() => setKernelBackend(undefined));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each(['wasm', 'js'] as const)('%s kernels', (be) => {
  test('bad arguments → TesseraError, outputs untouched', () => {
    setKernelBackend(be);
    const B = 3;
    const values = new Int32Array([1, 2, 1, 4, 4, 4]);
    const offsets = new Int32Array([0, 1, 2, 3, 4, 5, 6]); // 2 keys × 3 samples
    const keys = new Int32Array([0, 1]);
    const starts = new Int32Array([0, 2]);
    const idx = new Int32Array(B).fill(-5);
    const reps = new Int32Array(B).fill(-5);
    const counts = new Int32Array(1).fill(-5);
    const call =
      (o: Partial<Record<string, unknown>> = {}) =>
      () =>
        dedupBags(
          (o.values ?? values) as Int32Array,
          (o.w ?? 1) as number,
          (o.weights ?? null) as Int32Array | null,
          (o.offsets ?? offsets) as Int32Array,
          (o.B ?? B) as number,
          (o.keys ?? keys) as Int32Array,
          (o.starts ?? starts) as Int32Array,
          (o.nGroups ?? 1) as number,
          (o.idx ?? idx) as Int32Array,
          (o.reps ?? reps) as Int32Array,
          (o.counts ?? counts) as Int32Array,
        );
    expect(code(call({ w: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ w: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ B: DEDUP_MAX_BATCH + 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ nGroups: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ starts: new Int32Array([0, 3]) }))).toBe('INVALID_SHAPE'); // 3 keys named, 2 given
    expect(code(call({ starts: new Int32Array([2, 1]) }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ starts: new Int32Array([-1, 1]) }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ keys: new Int32Array([0, -1]) }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ keys: new Int32Array([0, 2]) }))).toBe('INVALID_SHAPE'); // key 2 needs 9 bags of offsets
    expect(code(call({ offsets: new Int32Array([0, 1, 2, 1, 4, 5, 6]) }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ offsets: new Int32Array([-1, 1, 2, 3, 4, 5, 6]) }))).toBe('INVALID_ARGUMENT');
    expect(code(call({ offsets: new Int32Array([0, 1, 2, 3, 4, 5, 7]) }))).toBe('INVALID_SHAPE'); // past values
    expect(code(call({ offsets: new Float32Array(7) }))).toBe('INVALID_DTYPE');
    expect(code(call({ w: 2 }))).toBe('INVALID_SHAPE');
    expect(code(call({ values: new Float32Array(6) }))).toBe('INVALID_DTYPE');
    expect(code(call({ weights: new Int32Array(5) }))).toBe('INVALID_SHAPE');
    expect(code(call({ weights: new Float32Array(6) }))).toBe('INVALID_DTYPE');
    expect(code(call({ idx: new Int32Array(B - 1) }))).toBe('INVALID_SHAPE');
    expect(code(call({ reps: new Int32Array(B - 1) }))).toBe('INVALID_SHAPE');
    expect(code(call({ counts: new Int32Array(0) }))).toBe('INVALID_SHAPE');
    expect(code(call({ nGroups: 2 }))).toBe('INVALID_SHAPE'); // starts too short
    expect(Array.from(idx)).toEqual([-5, -5, -5]);
    expect(Array.from(reps)).toEqual([-5, -5, -5]);
    expect(counts[0]).toBe(-5);
    expect(code(call())).toBe('no error');
    expect(Array.from(idx)).toEqual([0, 1, 0]);
    expect(Array.from(reps)).toEqual([0, 1, -1]);
    expect(counts[0]).toBe(2);
  });
});
