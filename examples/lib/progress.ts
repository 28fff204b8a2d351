// A progress bar for examples that run longer than a few seconds (cli-progress). On a non-TTY (CI logs) it prints
// a plain line every `every` steps instead of redrawing, so logs stay readable.
import cliProgress from 'cli-progress';

/** A started progress bar: call `tick` per unit of work (with optional payload values) and `stop` at the end. */
export interface Progress {
  tick(n?: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * Starts a progress bar of `total` units labelled `label`; `fields` names payload values shown after the bar.
 *
 * @example
 * ```ts
 * const p = progress('train', 100, ['loss']);
 * for (let i = 0; i < 100; i++) p.tick(1, { loss: (1 / (i + 1)).toFixed(3) });
 * p.stop();
 * ```
 */
export function progress(label: string, total: number, fields: string[] = []): Progress {
  const extra = fields.map((f) => ` ${f} {${f}}`).join('');
  if (!process.stdout.isTTY) {
    let done = 0;
    const every = Math.max(1, Math.ceil(total / 10));
    const t0 = performance.now();
    return {
      tick(n = 1, payload = {}) {
        const before = Math.floor(done / every);
        done += n;
        if (Math.floor(done / every) !== before || done >= total) {
          const kv = fields.map((f) => ` ${f} ${payload[f] ?? ''}`).join('');
          console.log(`  ${label} ${done}/${total} (${((performance.now() - t0) / 1000).toFixed(1)} s)${kv}`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `  ${label} [{bar}] {value}/{total} {duration_formatted}${extra}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, Object.fromEntries(fields.map((f) => [f, ''])));
  return {
    tick(n = 1, payload = {}) {
      bar.increment(n, payload);
    },
    stop() {
      bar.stop();
    },
  };
}
