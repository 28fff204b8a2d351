// Browser entry of the smoke test: runs smoke() and leaves the outcome on window for the Playwright driver.
import { smoke } from './smoke.js';

const w = window as unknown as { __smoke?: { ok: boolean; result?: unknown; error?: string } };
smoke().then(
  (result) => {
    w.__smoke = { ok: true, result };
  },
  (e: unknown) => {
    w.__smoke = { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) };
  },
);
