import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** Result of {@link timeIt}: per-call times in milliseconds. */
export interface Timing {
  /** Median over the timed repetitions. */
  medianMs: number;
  /** Fastest repetition. */
  minMs: number;
  /** Number of timed repetitions. */
  reps: number;
}

/**
 * Times `fn` honestly: a few warm-up calls, then repetitions until `minTimeMs` has passed (at least `minReps`),
 * reporting the median. Async functions are awaited. Use it to take both sides of a ratio in one run.
 *
 * @example
 * ```ts
 * import { timeIt } from '@tessera/testing';
 * const a = new Float32Array(1 << 20);
 * const t = await timeIt(() => a.slice());
 * console.log(t.medianMs);
 * ```
 */
export async function timeIt(
  fn: () => unknown,
  o: { warmup?: number; minReps?: number; maxReps?: number; minTimeMs?: number } = {},
): Promise<Timing> {
  const { warmup = 2, minReps = 5, maxReps = 1000, minTimeMs = 300 } = o;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < minTimeMs && times.length < maxReps)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], minMs: times[0], reps: times.length };
}

/** One row of a benchmark table: a case, what it is compared with, and the measured ratio. */
export interface BenchRow {
  /** What was measured, e.g. `quantize mxfp8_e4m3, 2^24 values`. */
  case: string;
  /** What it is compared with, e.g. `Float32Array.set copy`. */
  baseline: string;
  /** The ratio, defined in `ratioMeaning` (e.g. speedup = baseline time / case time). */
  ratio: number;
  /** How to read the ratio, e.g. `speedup (×)` or `fraction of memcpy rate`. */
  ratioMeaning: string;
  /** Optional goal for the ratio, e.g. `≥ 1.6`. */
  goal?: string;
  /** Absolute figures behind the ratio, for context only. */
  detail?: string;
}

/** A package's benchmark results, written to `bench/results/*.json` and collected into BENCHMARKS.md. */
export interface BenchReport {
  package: string;
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

/**
 * Describes the machine and backend a benchmark ran on (one line, for BENCHMARKS.md).
 *
 * @example
 * ```ts
 * import { machineLine } from '@tessera/testing';
 * console.log(machineLine()); // e.g. "Intel Xeon … ×2 cores, Node v20.20.2, tfjs backend cpu"
 * ```
 */
export function machineLine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'} ×${c.length} cores, Node ${process.version}, tfjs backend ${tf.getBackend() ?? 'none'}`;
}

/**
 * Writes a {@link BenchReport} (plus machine line and date) as JSON to `file`, creating folders as needed.
 *
 * @example
 * ```ts
 * import { writeBenchReport } from '@tessera/testing';
 * writeBenchReport('bench/results/core.json', { package: '@tessera/core', title: 'safetensors', rows: [] });
 * ```
 */
export function writeBenchReport(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  const full = { ...report, machine: machineLine(), date: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
}
