// Shared fast-check arbitraries for the MX property tests.
import { fc } from '@fast-check/vitest';
import { MX_FORMATS } from '../src/options.js';
import { SCALE_MODES } from '../src/scale.js';

const formatArb = fc.constantFrom(...MX_FORMATS);
const modeArb = fc.constantFrom(...SCALE_MODES);
const roundArb = fc.constantFrom('even' as const, 'nearest' as const, 'floor' as const);
const blockArb = fc.constantFrom(1, 2, 3, 4, 5, 8, 16, 32);

/** Float32 values spread over the whole range, with zeros, subnormals and (optionally) NaN/±Inf. */
export const valueArb = (specials: boolean) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-8), max: Math.fround(8) }) },
    { weight: 3, arbitrary: fc.float({ noNaN: !specials, noDefaultInfinity: !specials }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 2 ** -149, -(2 ** -130), 448, 57344, 7, 6.5) },
  );

export const caseArb = (specials: boolean) =>
  fc
    .record({
      dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      axisLen: fc.integer({ min: 1, max: 40 }),
      axisPos: fc.nat(),
      blockSize: blockArb,
      format: formatArb,
      scaleMode: modeArb,
      rounding: roundArb,
      seedScale: fc.integer({ min: -30, max: 30 }),
    })
    .chain((c) => {
      const axis = c.axisPos % c.dims.length;
      const shape = [...c.dims];
      shape[axis] = c.axisLen;
      const n = shape.reduce((p, d) => p * d, 1);
      return fc.array(valueArb(specials), { minLength: n, maxLength: n }).map((vals) => ({
        ...c,
        shape,
        axis,
        x: Float32Array.from(vals, (v) => Math.fround(v * 2 ** c.seedScale)),
      }));
    });
