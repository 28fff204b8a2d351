// tfjs-core alone registers no gradients; @tensorflow/tfjs (the union package) imports this too.
import { fc, test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, initBackend, TesseraError } from '@tessera/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseArb } from '../test/arbitraries.js';
import { thrownInTidy } from '../test/errors.js';
import { f32, GOLDEN_QUANTIZE_FILES, loadFixture } from '../test/fixtures.js';
import { fakeQuantizeMX, rceilThresholds } from './fake-quant.js';
import { dequantizeMXArray, quantizeMXArray } from './mx-tensor.js';
import { MX_FORMATS, type MXOptions, resolveMXOptions } from './options.js';

const isSubnormal = (v: number): boolean => v !== 0 && Math.abs(v) < 2 ** -126;

/**
 * Bitwise float32 equality, −0 ≠ +0, NaN = NaN. With `flushFrom` (the input, where tfjs ops ran on a GPU): a GPU
 * flushes float32 subnormals to zero in arithmetic (the H200 under Dawn/Vulkan does), so there ±0 is also accepted,
 * and only, where the exact value is a subnormal or the input element is one; every other element stays bit-exact.
 */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>, flushFrom?: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (flushFrom && a[i] === 0 && (isSubnormal(b[i]) || isSubnormal(flushFrom[i]))) continue;
    if (!Object.is(a[i], b[i])) return `[${i}] ${a[i]} vs ${b[i]}`;
  }
  return null;
}

/**
 * Whether tfjs ops run on a real GPU backend here (the suite on TESSERA_BACKEND=webgpu), where results may have
 * float32 subnormals flushed (see {@link firstDiff}); `auto` says the call's kernel was 'auto', which runs a registered
 * accelerator (bit-exact, no flush allowed) before the tfjs ops.
 */
function gpuMayFlush(kernel: 'tfjs' | 'host' | 'auto'): boolean {
  if (tf.getBackend() !== 'webgpu' || kernel === 'host') return false;
  return kernel === 'tfjs' || accelerator('fakeQuantizeMX') === undefined;
}

/** Reads asynchronously (`await data()`), so that it runs on backends without synchronous reads (webgpu in Node). */
async function fakeVsPacked(x: Float32Array, shape: number[], o: MXOptions, kernel: 'tfjs' | 'host'): Promise<string | null> {
  const want = dequantizeMXArray(quantizeMXArray(x, shape, o));
  const y = tf.tidy(() => fakeQuantizeMX(tf.tensor(x, shape, 'float32'), { ...o, kernel }));
  try {
    return firstDiff(await y.data(), want, gpuMayFlush(kernel) ? x : undefined);
  } finally {
    y.dispose();
  }
}

/** `fakeQuantizeMX(tf.tensor(x, shape), o)`'s values, read asynchronously. */
async function fakeValues(x: Float32Array, shape: number[], o: Parameters<typeof fakeQuantizeMX>[1]): Promise<Float32Array> {
  const y = tf.tidy(() => fakeQuantizeMX(tf.tensor(x, shape, 'float32'), o));
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}

const FILES = GOLDEN_QUANTIZE_FILES;

/** The same checks on whichever backend is active (run once on cpu and once on wasm). */
function conformance(backend: string, numRuns: number) {
  test(`[${backend}] golden mx-quantize inputs: fake (tfjs ops) = quantize→dequantize, every mode`, async () => {
    for (const [file, format] of FILES) {
      const g = loadFixture(`mx-quantize/${file}.json`);
      for (const c of g.cases) {
        const x = f32(c.x_bits);
        for (const rounding of ['even', 'nearest', 'floor'] as const) {
          for (const scaleMode of ['floor', 'ceil', 'even', 'rceil'] as const) {
            const d = await fakeVsPacked(x, c.shape, { format, rounding, scaleMode }, 'tfjs');
            if (d) throw new Error(`${format} ${c.name} ${rounding} ${scaleMode}: ${d}`);
          }
        }
        const flush = gpuMayFlush('auto') ? x : undefined;
        expect(
          firstDiff(await fakeValues(x, c.shape, { format }), dequantizeMXArray(quantizeMXArray(x, c.shape, { format })), flush),
        ).toBeNull();
      }
    }
  });
  test(`[${backend}] tfjs kernel = host at the scale edges: RCEIL quotients near 2^-127 / 2^-126, scale 2^-127 with normal results`, async () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const step = (v: number, k: number) => {
      f[0] = v;
      u[0] += k;
      return f[0];
    };
    for (const format of MX_FORMATS) {
      const c = resolveMXOptions({ format }, 1, 'test').element;
      const [subAbove, normalFrom] = rceilThresholds(c.maxNormal);
      const amaxes: number[] = [];
      for (const a of [subAbove, normalFrom, Math.fround(2 ** (c.emax - 127)), Math.fround(1.5 * 2 ** (c.emax - 126))])
        for (const k of [-1, 0, 1]) amaxes.push(step(a, k));
      const x = Float32Array.from(amaxes.flatMap((a) => [a, -a * 0.75, a / 3, -a / 7]));
      for (const scaleMode of ['floor', 'ceil', 'even', 'rceil'] as const) {
        const d = await fakeVsPacked(x, [amaxes.length, 4], { format, scaleMode, axis: 1, blockSize: 4 }, 'tfjs');
        if (d) throw new Error(`${format} ${scaleMode}: ${d}`);
      }
    }
  });
  fcTest.prop([caseArb(true), fc.constantFrom('keep' as const, 'flush-elements' as const, 'flush-block' as const)], { numRuns })(
    `[${backend}] random tensors, any axis/blockSize/mode: tfjs kernel and host kernel = quantize→dequantize bitwise`,
    async (c, subnormals) => {
      const o: MXOptions = {
        format: c.format,
        axis: c.axis,
        blockSize: c.blockSize,
        scaleMode: c.scaleMode,
        rounding: c.rounding,
        subnormals,
      };
      expect(await fakeVsPacked(c.x, c.shape, o, 'tfjs')).toBeNull();
      expect(await fakeVsPacked(c.x, c.shape, o, 'host')).toBeNull();
    },
  );
}

describe('fakeQuantizeMX on the suite backend (cpu, or TESSERA_BACKEND)', () => {
  conformance(process.env.TESSERA_BACKEND ?? 'cpu', 120);

  test('straight-through gradient: d/dx sum(fq(x)·w) = w, NaN blocks and saturated elements included', async () => {
    const before = tf.memory().numTensors;
    for (const format of MX_FORMATS) {
      for (const kernel of ['tfjs', 'host'] as const) {
        // a fresh x per call: its values are still on the host, which the host kernel needs on webgpu in Node
        const g = tf.tidy(() => {
          const x = tf.tensor2d([[1e6, Number.NaN, 3, 0.001, -7, 2, 5, 6]]);
          const w = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]);
          return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeMX(v, { format, blockSize: 4, kernel }), w)))(x);
        });
        expect(Array.from(await g.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        g.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before); // nothing leaked
  });

  test('host-only options fall back to the host kernel and stay bit-exact', async () => {
    const x = Float32Array.from({ length: 96 }, (_, i) => Math.cos(i * 1.7) * 2 ** ((i % 11) - 5));
    let n = 0;
    const random = () => {
      n = (n * 1103515245 + 12345) % 2 ** 31;
      return n / 2 ** 31;
    };
    for (const o of [
      { format: 'mxfp8_e4m3', inputPrecision: 'bfloat16' },
      { format: 'mxint8', scaleExponent: 'float32-log2' },
    ] as MXOptions[]) {
      expect(await fakeVsPacked(x, [3, 32], o, 'tfjs')).toBeNull();
    }
    // stochastic: the same source sequence gives the same values
    n = 7;
    const want = dequantizeMXArray(quantizeMXArray(x, [96], { format: 'mxfp4_e2m1', rounding: 'stochastic', random }));
    n = 7;
    const got = await fakeValues(x, [96], { format: 'mxfp4_e2m1', rounding: 'stochastic', random });
    expect(firstDiff(got, want)).toBeNull();
  });

  test('bad input → TesseraError, nothing leaked', () => {
    const bad: [() => unknown, string][] = [
      [() => fakeQuantizeMX(tf.tensor1d([1], 'int32'), { format: 'mxint8' }), 'INVALID_DTYPE'],
      [() => fakeQuantizeMX(tf.ones([4]), { format: 'mxint8', blockSize: -1 }), 'INVALID_ARGUMENT'],
      [() => fakeQuantizeMX(tf.ones([4]), { format: 'mxint8', kernel: 'gpu' as never }), 'INVALID_ARGUMENT'],
      [() => fakeQuantizeMX(tf.ones([4]), { format: 'mxint8', axis: 1 }), 'INVALID_ARGUMENT'],
      [() => fakeQuantizeMX(tf.ones([4]), { format: 'mxint8', padding: 'error' }), 'INVALID_SHAPE'],
    ];
    for (const [fn, code] of bad) {
      const before = tf.memory().numTensors;
      const err = thrownInTidy(fn);
      expect(err).toBeInstanceOf(TesseraError);
      expect((err as TesseraError).code).toBe(code);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('fakeQuantizeMX on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm', { log: null });
  });
  afterAll(async () => {
    await initBackend((process.env.TESSERA_BACKEND as 'cpu' | 'wasm' | undefined) ?? 'cpu', { log: null });
  });
  test('wasm is active', () => {
    expect(tf.getBackend()).toBe('wasm');
  });
  conformance('wasm', 60);
});
