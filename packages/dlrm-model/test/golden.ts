// Loader of the dlrm golden set (test/fixtures/dlrm/dlrm.json, see PROVENANCE.md).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import type { DlrmConfig, StateDict } from '../src/index.js';

export const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

export interface GoldenTensor {
  shape: number[];
  f32_bits: number[];
}
export interface GoldenConfig {
  name: string;
  arch: { arch_interaction_op: 'dot' | 'cat'; arch_interaction_itself: boolean };
  batch: { dense_x_bits: number[]; lS_o: number[][]; lS_i: number[][]; target_bits: number[] };
  params_before: Record<string, GoldenTensor>;
  grads: Record<string, GoldenTensor>;
  params_after_sgd: Record<string, GoldenTensor>;
  intermediate: { bottom_mlp_out_bits: number[]; embedding_bag_out_bits: number[][]; interaction_out_bits: number[] };
  prob_bits: number[];
  loss_bits: number[] | number;
  prob_after_sgd_bits: number[];
  loss_after_sgd_bits: number[] | number;
}

export const GOLDEN: { configs: GoldenConfig[] } = JSON.parse(readFileSync(new URL('./fixtures/dlrm/dlrm.json', import.meta.url), 'utf8'));

export const FEATURES = ['t0', 't1', 't2', 't3'];

export function goldenConfig(c: GoldenConfig): DlrmConfig {
  return {
    denseFeatures: 13,
    embeddingDim: 16,
    tableSizes: [40, 30, 20, 10],
    featureNames: FEATURES,
    bottomMlp: [32, 16],
    topMlp: [32, 1],
    interaction: c.arch.arch_interaction_op,
    interactionItself: c.arch.arch_interaction_itself,
  };
}

export function stateDictOf(p: Record<string, GoldenTensor>): StateDict {
  return new Map(Object.entries(p).map(([k, v]) => [k, { shape: v.shape, data: f32(v.f32_bits) }]));
}

/** Per-table (lengths, ids) of the golden batch. */
export function goldenBags(c: GoldenConfig): { lengths: number[][]; ids: number[][] } {
  const B = 8;
  const lengths = c.batch.lS_o.map((o, k) => o.map((s, b) => (b + 1 < B ? o[b + 1] : c.batch.lS_i[k].length) - s));
  return { lengths, ids: c.batch.lS_i };
}

/** The golden batch as a KJT plus dense and labels tensors (caller disposes). */
export function goldenBatch(c: GoldenConfig): { dense: tf.Tensor2D; labels: tf.Tensor2D; sparse: KeyedJaggedTensor } {
  const { lengths, ids } = goldenBags(c);
  const sparse = KeyedJaggedTensor.fromLengths({
    keys: FEATURES,
    values: tf.tensor1d(ids.flat(), 'int32'),
    lengths: lengths.flat(),
  });
  const dense = tf.tensor2d(f32(c.batch.dense_x_bits), [8, 13]);
  const labels = tf.tensor2d(f32(c.batch.target_bits), [8, 1]);
  return { dense, labels, sparse };
}

/** The same batch as an IKJT whose stored bags are in reverse sample order (inverse = 7 − b), keys permuted. */
export function goldenIkjt(c: GoldenConfig): KeyedJaggedTensor {
  const { lengths, ids } = goldenBags(c);
  const order = [3, 1, 0, 2]; // keys in a different order: matched by name
  const vals: number[] = [];
  const lens: number[] = [];
  for (const k of order) {
    const offs = [0];
    for (const l of lengths[k]) offs.push(offs[offs.length - 1] + l);
    for (let u = 7; u >= 0; u--) {
      lens.push(lengths[k][u]);
      vals.push(...ids[k].slice(offs[u], offs[u + 1]));
    }
  }
  const inv = Int32Array.from({ length: 8 }, (_, b) => 7 - b);
  return KeyedJaggedTensor.fromLengths({
    keys: order.map((k) => FEATURES[k]),
    values: tf.tensor1d(vals, 'int32'),
    lengths: lens,
    inverse: { names: order.map((k) => FEATURES[k]), idx: order.map(() => inv) },
  });
}
