import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../testing/src/leaks.js';
import { TesseraError } from './errors.js';
import { loadSafetensors, parseSafetensors, type RawTensor, saveSafetensors, serializeSafetensors } from './safetensors.js';

/** Builds a safetensors file by hand from the format description: u64 LE header size, JSON header, raw data. */
function handWritten(headerJson: string, data: number[]): Uint8Array {
  const header = Buffer.from(headerJson, 'utf8');
  const out = new Uint8Array(8 + header.length + data.length);
  out[0] = header.length & 0xff;
  out[1] = (header.length >> 8) & 0xff; // headers here are < 65536 bytes; bytes 2..7 stay 0
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

function expectCorrupt(bytes: Uint8Array, pattern?: RegExp): void {
  try {
    parseSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    expect((e as TesseraError).code).toBe('CORRUPT_DATA');
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected CORRUPT_DATA');
}

describe('safetensors: hand-written bytes', () => {
  // F32 [2] = [1, -2] at offset 0; I32 [1] = [7] at 8; F16 [1] = [1.0] at 12; BOOL [2] at 14
  const header =
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"c":{"dtype":"F16","shape":[1],"data_offsets":[12,14]},' +
    '"d":{"dtype":"BOOL","shape":[2],"data_offsets":[14,16]}}';
  const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 7, 0, 0, 0, 0x00, 0x3c, 1, 0];
  const bytes = handWritten(header, data);

  it('parses every field', () => {
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.a).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) });
    expect(tensors.b.data).toEqual(new Int32Array([7]));
    expect(tensors.c.data).toEqual(new Uint16Array([0x3c00]));
    expect(tensors.d.data).toEqual(new Uint8Array([1, 0]));
  });
  it('loads tf tensors with the documented dtype mapping', () => {
    const { tensors } = loadSafetensors(bytes);
    expect(tensors.a.dtype).toBe('float32');
    expect(Array.from(tensors.a.dataSync())).toEqual([1, -2]);
    expect(tensors.b.dtype).toBe('int32');
    expect(Array.from(tensors.c.dataSync())).toEqual([1]);
    expect(tensors.d.dtype).toBe('bool');
    expect(Array.from(tensors.d.dataSync())).toEqual([1, 0]);
    tf.dispose(Object.values(tensors));
  });
  it('reads I64 into int32 when the values fit and refuses otherwise', () => {
    const h = '{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}';
    const ok = handWritten(h, [5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(parseSafetensors(ok).tensors.x.data).toEqual(new BigInt64Array([5n, -1n]));
    const { tensors } = loadSafetensors(ok);
    expect(Array.from(tensors.x.dataSync())).toEqual([5, -1]);
    tensors.x.dispose();
    const big = handWritten(h, [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expectNoLeaks(() => expect(() => loadSafetensors(big)).toThrow(/outside the int32 range/));
  });
  it('writes the bytes the format describes', () => {
    const out = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } }, { k: 'v' });
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(out.subarray(8, 8 + n)).toString('utf8'));
    expect(header).toEqual({ __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(Array.from(out.subarray(8 + n))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });
  it('orders tensors by item size so each is aligned', () => {
    const out = serializeSafetensors({
      u: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      f: { dtype: 'F32', shape: [1], data: new Float32Array([5]) },
      h: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
    });
    const { tensors } = parseSafetensors(out);
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    const header = JSON.parse(Buffer.from(out.subarray(8, 8 + n)).toString('utf8'));
    expect(header.f.data_offsets).toEqual([0, 4]);
    expect(header.h.data_offsets).toEqual([4, 6]);
    expect(header.u.data_offsets).toEqual([6, 9]);
    expect(tensors.u.data).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('safetensors: corrupt input is CORRUPT_DATA', () => {
  const good = serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } });
  it('rejects truncation at every length', () => {
    for (let len = 0; len < good.length; len++) expectCorrupt(good.subarray(0, len));
  });
  it('rejects each kind of header problem', () => {
    const h = (s: string, d: number[] = []) => handWritten(s, d);
    expectCorrupt(h('[1,2]'), /JSON object/);
    expectCorrupt(h('{"a":'), /JSON/);
    expectCorrupt(h('{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /unknown dtype/);
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /shape/);
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0]), /data_offsets/);
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /needs 8/);
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0, 9]), /trailing/);
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), /hole/);
    expectCorrupt(
      h('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}', [0, 0, 0, 0, 0, 0]),
      /overlaps/,
    );
    expectCorrupt(h('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0]), /past/);
    expectCorrupt(h('{"__metadata__":{"a":1}}'), /must be a string/);
    expectCorrupt(h('{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [2]), /BOOL/);
    expectCorrupt(h('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]), /__proto__/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expectCorrupt(huge, /at most/);
    const badUtf8 = handWritten('{"a":1}', []);
    badUtf8[10] = 0xff;
    expectCorrupt(badUtf8, /UTF-8/);
  });
  it('rejects a bad argument type with INVALID_ARGUMENT', () => {
    expect(() => parseSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('fuzz: 3000 random byte mutations never crash and never yield a tensor inconsistent with the file', () => {
    const base = serializeSafetensors(
      {
        weight: { dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i - 5.5) },
        ids: { dtype: 'I32', shape: [5], data: new Int32Array([3, 1, 4, 1, 5]) },
        half: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
        flags: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      },
      { format: 'pt', note: 'fuzz' },
    );
    const dataStart = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
    // Positions anywhere in the file, with extra weight on the length prefix and on the data section.
    const pos = fc.oneof(fc.nat({ max: base.length - 1 }), fc.nat({ max: 7 }), fc.integer({ min: dataStart, max: base.length - 1 }));
    const mutation = fc.array(fc.record({ pos, byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 });
    const truncate = fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.nat({ max: base.length }), weight: 1 });
    let parsed = 0;
    let rejected = 0;
    fc.assert(
      fc.property(mutation, truncate, (muts, cut) => {
        const bytes = base.slice();
        for (const { pos, byte } of muts) bytes[pos] = byte;
        const file = cut === undefined ? bytes : bytes.subarray(0, cut);
        let out: ReturnType<typeof parseSafetensors>;
        try {
          out = parseSafetensors(file);
        } catch (e) {
          if (!(e instanceof TesseraError) || e.code !== 'CORRUPT_DATA') throw e;
          rejected++;
          return;
        }
        parsed++;
        // Whatever parsed must be exactly what the (mutated) file says: re-read each range from the raw bytes.
        const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
        const header = JSON.parse(Buffer.from(file.subarray(8, 8 + n)).toString('utf8'));
        for (const [name, t] of Object.entries(out.tensors) as [string, RawTensor][]) {
          const [b, e] = header[name].data_offsets;
          const raw = file.subarray(8 + n + b, 8 + n + e);
          expect(t.dtype).toBe(header[name].dtype);
          expect(t.shape).toEqual(header[name].shape);
          expect(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(raw);
          expect(t.data.length).toBe(t.shape.reduce((a: number, d: number) => a * d, 1));
        }
        expect(Object.keys(out.tensors).sort()).toEqual(
          Object.keys(header)
            .filter((k) => k !== '__metadata__')
            .sort(),
        );
      }),
      { numRuns: 3000, seed: 20261123 },
    );
    expect(parsed).toBeGreaterThan(100); // data-section mutations parse (no checksum in the format)
    expect(rejected).toBeGreaterThan(100);
  });
});

describe('safetensors: round trips (property)', () => {
  const dtypeArb = fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'U16', 'I8', 'U8', 'BOOL' as const);
  const rawArb: fc.Arbitrary<RawTensor> = fc
    .tuple(dtypeArb, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
    .chain(([dtype, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const bytesPer = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 }[dtype];
      return fc.uint8Array({ minLength: n * bytesPer, maxLength: n * bytesPer }).map((b) => {
        const buf = b.slice().buffer;
        const data = {
          F32: () => new Float32Array(buf),
          F16: () => new Uint16Array(buf),
          BF16: () => new Uint16Array(buf),
          I64: () => new BigInt64Array(buf),
          I32: () => new Int32Array(buf),
          I16: () => new Int16Array(buf),
          U16: () => new Uint16Array(buf),
          I8: () => new Int8Array(buf),
          U8: () => new Uint8Array(buf),
          BOOL: () => Uint8Array.from(new Uint8Array(buf), (v) => v & 1),
        }[dtype]();
        return { dtype, shape, data } as RawTensor;
      });
    });
  it('parse(serialize(x)) == x bit for bit, with metadata', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__' && s !== '__proto__'),
          rawArb,
          { maxKeys: 5 },
        ),
        fc.dictionary(
          fc.string({ maxLength: 5 }).filter((s) => s !== '__proto__'),
          fc.string({ maxLength: 8 }),
          { maxKeys: 3 },
        ),
        (tensors, metadata) => {
          const out = parseSafetensors(serializeSafetensors(tensors, metadata));
          expect(out.metadata).toEqual(metadata);
          expect(Object.keys(out.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [k, t] of Object.entries(tensors)) {
            const got = out.tensors[k];
            expect(got.dtype).toBe(t.dtype);
            expect(got.shape).toEqual(t.shape);
            expect(new Uint8Array(got.data.buffer)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
  it('tf tensors round-trip through save/load (float32 exact, F16/BF16 rounded once)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }), (vals) => {
        expectNoLeaks(() => {
          const x = tf.tensor(vals);
          const i = tf.tensor(
            vals.map((v) => Math.trunc(v) | 0),
            [vals.length],
            'int32',
          );
          const b = tf.tensor(
            vals.map((v) => v > 0),
            [vals.length],
            'bool',
          );
          const { tensors } = loadSafetensors(saveSafetensors({ x, i, b, h: x }, { dtypes: { h: 'F16' } }));
          expect(Array.from(tensors.x.dataSync())).toEqual(Array.from(x.dataSync()));
          expect(Array.from(tensors.i.dataSync())).toEqual(Array.from(i.dataSync()));
          expect(Array.from(tensors.b.dataSync())).toEqual(Array.from(b.dataSync()));
          expect(tensors.h.shape).toEqual(x.shape);
          tf.dispose([x, i, b, ...Object.values(tensors)]);
        });
      }),
      { numRuns: 100 },
    );
  });
  it('rejects bad inputs to the writers with clear codes', () => {
    const s = tf.scalar(1);
    expect(() => serializeSafetensors({ '': { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).toThrow(
      expect.objectContaining({ code: 'INVALID_KEY' }),
    );
    expect(() => serializeSafetensors({ a: { dtype: 'U8', shape: [2], data: new Uint8Array(1) } })).toThrow(
      expect.objectContaining({ code: 'INVALID_SHAPE' }),
    );
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Uint8Array(4) } as unknown as RawTensor })).toThrow(
      expect.objectContaining({ code: 'INVALID_DTYPE' }),
    );
    expect(() => serializeSafetensors({}, { a: 1 as unknown as string })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const str = tf.tensor(['a']);
    expect(() => saveSafetensors({ str })).toThrow(expect.objectContaining({ code: 'INVALID_DTYPE' }));
    tf.dispose([s, str]);
  });
});

describe('safetensors: hostile headers (hardening)', () => {
  const file = (header: string): Uint8Array => {
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + h.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  it('a 5,000-level nested JSON value in an entry, in __metadata__ or in a shape is CORRUPT_DATA, not a RangeError', () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const deepObj = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    for (const h of [
      `{"t":${deep}}`,
      `{"__metadata__":${deep}}`,
      `{"__metadata__":{"k":${deepObj}}}`,
      `{"t":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`,
      `{"t":{"dtype":${deepObj},"shape":[],"data_offsets":[0,4]}}`,
    ]) {
      expect(h.length).toBeLessThan(25_000);
      expect(() => parseSafetensors(file(h))).toThrow(expect.objectContaining({ name: 'TesseraError', code: 'CORRUPT_DATA' }));
    }
  });
});
