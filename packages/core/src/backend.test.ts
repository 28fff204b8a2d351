import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

const initial = tf.getBackend();
afterAll(async () => {
  await initBackend(initial as 'cpu' | 'wasm', { log: null });
});

describe('initBackend', () => {
  it('selects cpu and wasm on request and reports why others were skipped', async () => {
    const lines: string[] = [];
    // Switch away from whatever the setup chose so that the next call really loads and logs.
    const other = tf.getBackend() === 'wasm' ? 'cpu' : 'wasm';
    const first = await initBackend(other, { log: (l) => lines.push(l) });
    expect(first.name).toBe(other);
    expect(lines).toHaveLength(1);
    expect(await initBackend(other, { log: (l) => lines.push(l) })).toBe(first); // cached: no reload, no second line
    await initBackend('wasm', { log: null });
    lines.length = 0;
    const cpu = await initBackend('cpu', { log: (l) => lines.push(l) });
    expect(cpu).toMatchObject({ name: 'cpu', native: false, gpu: false, module: '@tensorflow/tfjs-backend-cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[tessera\] backend: cpu via @tensorflow\/tfjs-backend-cpu/);
    const wasm = await initBackend('wasm', { log: null });
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const sum = tf.tidy(() => tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]);
    expect(sum).toBe(6);
  });
  it('auto picks the first loadable candidate in order and explains each skip', async () => {
    const lines: string[] = [];
    const info = await initBackend('auto', { log: (l) => lines.push(l) });
    const order = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'];
    const chosenAt = order.indexOf(info.module);
    expect(chosenAt).toBeGreaterThanOrEqual(0);
    expect(info.skipped.map((s) => s.module)).toEqual(order.slice(0, chosenAt));
    for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`backend: ${info.name}`);
  });
  it('honours TESSERA_BACKEND and rejects unknown names', async () => {
    const saved = process.env.TESSERA_BACKEND;
    try {
      process.env.TESSERA_BACKEND = 'cpu';
      expect((await initBackend(undefined, { log: null })).name).toBe('cpu');
      process.env.TESSERA_BACKEND = 'webgpu';
      await expect(initBackend(undefined, { log: null })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      if (saved === undefined) delete process.env.TESSERA_BACKEND;
      else process.env.TESSERA_BACKEND = saved;
    }
  });
  it('reports BACKEND_UNAVAILABLE when the named native backend is not installed', async () => {
    let installed = true;
    try {
      const name = '@tensorflow/tfjs-node'; // a variable: the module is optional and has no types here
      await import(/* @vite-ignore */ name);
    } catch {
      installed = false;
    }
    if (installed) {
      expect((await initBackend('tensorflow', { log: null })).native).toBe(true);
    } else {
      await expect(initBackend('tensorflow', { log: null })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    }
  });
});

describe('gradients', () => {
  it('initBackend registers every tfjs-core gradient (tf.grad works with tfjs-core alone)', async () => {
    await initBackend('cpu', { log: null });
    const g = tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      return Array.from(
        tf
          .grad((v: tf.Tensor) => tf.sum(tf.relu(tf.square(tf.matMul(v as tf.Tensor2D, v as tf.Tensor2D)))))(x)
          .dataSync(),
      );
    });
    expect(g).toEqual([158, 274, 266, 482]); // d/dx sum((x@x)^2) = 2y@xᵀ + xᵀ@2y with y = x@x
  });
});
