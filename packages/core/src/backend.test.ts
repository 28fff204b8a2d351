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
    expect(cpu).toMatchObject({ name: 'cpu', native: false, gpu: false, module: '@tensorflow/tfjs-backend-cpu', preregistered: false });
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
    const t0 = performance.now();
    const info = await initBackend('auto', { log: (l) => lines.push(l) });
    const order = [
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-cpu',
    ];
    const chosenAt = order.indexOf(info.module);
    expect(chosenAt).toBeGreaterThanOrEqual(0);
    expect(info.preregistered).toBe(false);
    expect(info.skipped.map((s) => s.module)).toEqual(order.slice(0, chosenAt));
    for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0);
    // Node has no WebGL; WebGPU is skipped here unless the machine has the webgpu package and a hardware adapter.
    // (On a GPU machine auto stops at webgpu, before webgl is tried.)
    if (chosenAt > 2) expect(info.skipped.find((s) => s.module === '@tensorflow/tfjs-backend-webgl')?.reason).toBe('browsers only');
    if (info.name !== 'webgpu' && chosenAt > 1) {
      expect(info.skipped[1].reason).toMatch(/Vulkan|adapter|not installed|software/);
      expect(performance.now() - t0).toBeLessThan(10_000); // skipping webgpu must not stall the start
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`backend: ${info.name}`);
    for (const s of info.skipped) expect(lines[0]).toContain(`${s.module} (${s.reason})`);
  });
  it('honours TESSERA_BACKEND for every name and rejects unknown names', async () => {
    const saved = process.env.TESSERA_BACKEND;
    try {
      for (const name of ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const) {
        process.env.TESSERA_BACKEND = name;
        try {
          const info = await initBackend(undefined, { log: null });
          expect(info.name).toBe(name);
          expect(tf.getBackend()).toBe(name);
        } catch (e) {
          // Only backends that cannot exist here may fail, and they say why.
          expect(['tensorflow', 'webgpu', 'webgl']).toContain(name);
          expect(e).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
          if (name === 'webgl') expect(String(e)).toContain('browsers only');
        }
      }
      process.env.TESSERA_BACKEND = 'metal';
      await expect(initBackend(undefined, { log: null })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      if (saved === undefined) delete process.env.TESSERA_BACKEND;
      else process.env.TESSERA_BACKEND = saved;
    }
  });
  it('auto uses a backend the application registered itself before importing anything', async () => {
    // Stand-in for a browser app that imported @tensorflow/tfjs-backend-webgl: a factory registered as 'webgl'.
    const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
    tf.registerBackend('webgl', () => new MathBackendCPU());
    try {
      const lines: string[] = [];
      const info = await initBackend('auto', { log: (l) => lines.push(l) });
      expect(info).toMatchObject({ name: 'webgl', preregistered: true, gpu: true, skipped: [] });
      expect(tf.getBackend()).toBe('webgl');
      expect(lines[0]).toContain('registered by the app');
    } finally {
      await initBackend('cpu', { log: null });
      tf.removeBackend('webgl');
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
