import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, parseSafetensors, serializeSafetensors, TesseraError } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzFailures, fuzzLoader, fuzzPublicFunction, fuzzSummary, runFuzzCase, uncoveredExports } from './fuzz.js';
import { hostileValueArb, lazyValue, tensorSpecArb } from './fuzz-arbitraries.js';

describe('the fuzz harness catches each broken promise', () => {
  it('a foreign error, a leak on the error path, a leak on the success path, a slow call', async () => {
    expect((await runFuzzCase(() => (null as unknown as string).toString(), []))?.kind).toBe('foreign-error');
    const leaked: tf.Tensor[] = [];
    const throwsAndLeaks = () => {
      leaked.push(tf.ones([2]));
      throw new TesseraError('INVALID_ARGUMENT', 'f', 'x');
    };
    expect((await runFuzzCase(throwsAndLeaks, []))?.kind).toBe('leak');
    tf.dispose(leaked);
    expect(await runFuzzCase(() => tf.ones([2]), [])).toBeNull(); // a returned tensor is the caller's: disposed by the harness
    const leak: tf.Tensor[] = [];
    expect((await runFuzzCase(() => void leak.push(tf.ones([1])), []))?.kind).toBe('leak');
    tf.dispose(leak);
    const slow = () => {
      const t = performance.now();
      while (performance.now() - t < 30);
      return 1;
    };
    expect((await runFuzzCase(slow, [], { timeBudgetMs: 5 }))?.kind).toBe('slow');
    expect((await runFuzzCase(() => 1, [], { check: () => false }))?.kind).toBe('invalid-result');
  });
  it("a tensor the caller passes in directly stays the caller's: not disposed, not counted as a leak", async () => {
    const x = tf.ones([3]);
    expect(await runFuzzCase((t) => tf.add(t as tf.Tensor, 1), [x])).toBeNull();
    expect(await runFuzzCase((t) => t, [x])).toBeNull(); // returning the input itself
    expect(x.isDisposed).toBe(false);
    const leak: tf.Tensor[] = [];
    expect((await runFuzzCase((t) => void leak.push(tf.add(t as tf.Tensor, 1)), [x]))?.kind).toBe('leak');
    tf.dispose([...leak, x]);
  });

  it('builds and disposes tensor specs and lazy values, including disposed tensors', async () => {
    const before = tf.memory().numTensors;
    const r = await fuzzPublicFunction(
      'sum',
      (x: unknown) => {
        if (!(x instanceof tf.Tensor) || x.isDisposed || x.dtype === 'bool') throw new TesseraError('INVALID_ARGUMENT', 'sum', 'x');
        // an empty tensor sums to 0 without an op: tfjs-backend-webgpu fails on ops over size-0 inputs (Dawn is asked
        // for a buffer of invalid size), where cpu and wasm return zeros
        if (x.size === 0) return tf.zeros([], x.dtype === 'int32' ? 'int32' : 'float32');
        return tf.sum(x);
      },
      [
        fc.oneof(
          tensorSpecArb(),
          lazyValue('ones', () => tf.ones([3])),
        ),
      ],
      { numRuns: 60 },
    );
    expect(fuzzFailures([r])).toBe('');
    expect(r.cases).toBe(60);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('checkInteger survives hostile values; a function that crashes is reported and shrunk', async () => {
    const ok = await fuzzPublicFunction(
      'checkInteger',
      (v: unknown) => checkInteger(v, 'f', 'v', { min: 0, max: 10 }),
      [hostileValueArb()],
      { numRuns: 200 },
    );
    expect(ok.failures).toEqual([]);
    const bad = await fuzzPublicFunction('naive', (v: unknown) => (v as number[]).map((x) => x + 1), [hostileValueArb()], { numRuns: 200 });
    expect(bad.failures.length).toBe(1);
    expect(bad.failures[0].kind).toBe('foreign-error');
    expect(fuzzSummary([ok, bad])).toMatch(/^fuzz: [\d,]+ cases over 2 functions, 1 failures$/);
  });
  it('fuzzLoader: truncation, hostile headers, mutations over parseSafetensors', async () => {
    const seed = serializeSafetensors({ t: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, { format: 'x' });
    const r = await fuzzLoader('parseSafetensors', parseSafetensors, [seed], { numRuns: 200, names: ['t'], metadata: { format: 'x' } });
    expect(fuzzFailures([r])).toBe('');
    expect(r.cases).toBeGreaterThan(seed.length + 200);
    const naive = await fuzzLoader('JSON', (b) => JSON.parse(new TextDecoder().decode(b.subarray(8))), [seed], { numRuns: 20 });
    expect(naive.failures.length).toBeGreaterThan(0);
  });
  it('uncoveredExports lists exports without an entry, stale entries and empty reasons', () => {
    expect(uncoveredExports({ a: 1, b: 2, c: 3 }, ['a', 'z'], { b: 'a constant value', c: '' })).toEqual([
      'z: listed but not exported',
      'c: exemption without a reason',
    ]);
    expect(uncoveredExports({ a: 1, b: 2 }, ['a'], {})).toEqual(['b: no fuzz entry and no exemption']);
  });
});
