import { TesseraError, type TesseraErrorCode, type TesseraErrorDetails } from '@tessera/core';

/** Throws a {@link TesseraError}. @internal */
export function fail(code: TesseraErrorCode, fn: string, what: string, got?: unknown, details?: TesseraErrorDetails): never {
  throw new TesseraError(code, fn, what, got, details);
}

/** Checks a finite number ≥ min. @internal */
export function checkNumber(v: unknown, fn: string, name: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail('INVALID_ARGUMENT', fn, `${name} must be a finite number in [${min}, ${max}]`, v);
  }
  return v;
}

/** Checks an integer in [min, max]. @internal */
export function checkInt(v: unknown, fn: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail('INVALID_ARGUMENT', fn, `${name} must be an integer in [${min}, ${max}]`, v);
  }
  return v;
}

/** Validates a topology object (as made by createTopology, possibly reserved). @internal */
export function checkTopology(fn: string, topo: unknown, name = 'topo'): void {
  const t = topo as Record<string, unknown> | null;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.devices))
    fail('INVALID_ARGUMENT', fn, `${name} must come from createTopology`, topo);
  const W = t.worldSize as number;
  const L = t.localWorldSize as number;
  if (!Number.isInteger(W) || W < 1 || !Number.isInteger(L) || L < 1 || W % L !== 0) {
    fail('INVALID_ARGUMENT', fn, `${name}.worldSize and localWorldSize must be positive integers with worldSize % localWorldSize = 0`, [
      W,
      L,
    ]);
  }
  if (t.computeDevice !== 'cpu' && t.computeDevice !== 'cuda' && t.computeDevice !== 'mtia')
    fail('INVALID_ARGUMENT', fn, `${name}.computeDevice must be 'cpu', 'cuda' or 'mtia'`, t.computeDevice);
  const devices = t.devices as unknown[];
  if (devices.length !== W) fail('INVALID_ARGUMENT', fn, `${name}.devices must have worldSize (${W}) entries`, devices.length);
  devices.forEach((d, i) => {
    const dd = d as { rank?: unknown; storage?: { hbm?: unknown; ddr?: unknown }; perf?: Record<string, unknown> } | null;
    if (
      !dd ||
      typeof dd !== 'object' ||
      dd.rank !== i ||
      !dd.storage ||
      typeof dd.storage.hbm !== 'number' ||
      typeof dd.storage.ddr !== 'number'
    ) {
      fail('INVALID_ARGUMENT', fn, `${name}.devices[${i}] must be {rank: ${i}, storage: {hbm, ddr}, perf}`, d);
    }
    if (Number.isNaN(dd.storage.hbm) || Number.isNaN(dd.storage.ddr))
      fail('INVALID_ARGUMENT', fn, `${name}.devices[${i}].storage must be numbers`, dd.storage);
    checkPerfObject(fn, dd.perf, `${name}.devices[${i}].perf`);
  });
  for (const k of [
    'hbmMemBw',
    'ddrMemBw',
    'hbmToDdrMemBw',
    'intraHostBw',
    'interHostBw',
    'bwdComputeMultiplier',
    'weightedFeatureBwdComputeMultiplier',
  ]) {
    const v = t[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('INVALID_ARGUMENT', fn, `${name}.${k} must be a finite number ≥ 0`, v);
  }
  if (t.deviceMemorySizes !== null && t.deviceMemorySizes !== undefined && !Array.isArray(t.deviceMemorySizes)) {
    fail('INVALID_ARGUMENT', fn, `${name}.deviceMemorySizes must be an array or null`, t.deviceMemorySizes);
  }
}

/** Validates a Perf object. @internal */
export function checkPerfObject(fn: string, p: unknown, name: string): void {
  const q = p as Record<string, unknown> | null;
  if (q === null || typeof q !== 'object') fail('INVALID_ARGUMENT', fn, `${name} must be a Perf object`, p);
  for (const k of ['fwdCompute', 'fwdComms', 'bwdCompute', 'bwdComms', 'prefetchCompute']) {
    if (typeof q[k] !== 'number') fail('INVALID_ARGUMENT', fn, `${name}.${k} must be a number`, q[k]);
  }
}

/** Validates the shape of a Plan (options with shards, a topology). @internal */
export function checkPlanObject(fn: string, p: unknown): void {
  const q = p as { options?: unknown; topology?: unknown } | null;
  if (q === null || typeof q !== 'object' || !Array.isArray(q.options))
    fail('INVALID_ARGUMENT', fn, 'p must be a Plan ({options, topology})', p);
  checkTopology(fn, q.topology, 'p.topology');
  (q.options as unknown[]).forEach((o, i) => {
    const so = o as {
      fqn?: unknown;
      table?: { name?: unknown; rows?: unknown; dim?: unknown; modulePath?: unknown };
      shards?: unknown;
    } | null;
    if (
      !so ||
      typeof so !== 'object' ||
      typeof so.fqn !== 'string' ||
      !so.table ||
      typeof so.table !== 'object' ||
      typeof so.table.name !== 'string' ||
      !Array.isArray(so.shards)
    ) {
      fail('INVALID_ARGUMENT', fn, `p.options[${i}] must be a ShardingOption ({fqn, table, shardingType, computeKernel, shards})`, o);
    }
    (so.shards as unknown[]).forEach((s, j) => {
      const sh = s as { size?: unknown; offset?: unknown; perf?: unknown; storage?: { hbm?: unknown; ddr?: unknown } } | null;
      const pair = (a: unknown) => Array.isArray(a) && a.length === 2 && a.every((x) => typeof x === 'number');
      if (
        !sh ||
        typeof sh !== 'object' ||
        !pair(sh.size) ||
        !pair(sh.offset) ||
        !sh.storage ||
        typeof sh.storage.hbm !== 'number' ||
        typeof sh.storage.ddr !== 'number'
      ) {
        fail('INVALID_ARGUMENT', fn, `p.options[${i}].shards[${j}] must be {size, offset, rank, perf, storage}`, s);
      }
      checkPerfObject(fn, sh.perf, `p.options[${i}].shards[${j}].perf`);
    });
  });
}
