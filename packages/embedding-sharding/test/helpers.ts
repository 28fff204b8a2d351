import type { Constraints, ShardingType, TableSpec } from '../src/index.js';

/** A pooled fp32 table. */
export function table(name: string, rows: number, dim: number, extra: Partial<TableSpec> = {}): TableSpec {
  return { modulePath: 'ebc', name, rows, dim, elementBytes: 4, moduleKind: 'pooled', featureNames: [`${name}_f`], ...extra };
}

/** Constraints pinning every table to one type and kernel. */
export function pin(
  names: string[],
  t: ShardingType,
  k: Constraints['computeKernels'] = ['fused'],
  extra: Constraints = {},
): Record<string, Constraints> {
  return Object.fromEntries(names.map((n) => [n, { shardingTypes: [t], computeKernels: k, ...extra }]));
}

/** |a − b| ≤ rel·|b|. */
export function relClose(a: number, b: number, rel = 1e-9): boolean {
  return Math.abs(a - b) <= rel * Math.abs(b) || a === b;
}
